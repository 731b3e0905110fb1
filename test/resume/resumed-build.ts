import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { runCli, runTool, type CliResult } from '../support/cli.js';
import { CliChild, killAt, type TrialPlan } from '../support/kill-trial.js';
import { bytesUnder, sha256File } from './file-hash.js';
import type { Check, TrialRecord } from './trial-record.js';

/**
 * checkResumedBuild checks what a rerun after a kill built: `out` (b.tar in `dir`) is byte for byte the bundle of an
 * uninterrupted build (`reference`, its sha256), nothing is left beside it, and, given `skopeoRef` (an
 * `oci-archive` reference name), a real client reads it as a standard OCI archive.
 */
export async function checkResumedBuild(check: Check, o: { out: string; dir: string; reference: string; skopeoRef?: string }): Promise<void> {
  check.that((await sha256File(o.out)) === o.reference, 'the bundle differs from the uninterrupted build');
  // Nothing else next to it: an uninterrupted build leaves the bundle alone (the cache is a directory of its own).
  const beside = (await readdir(o.dir)).filter((n) => n !== 'cache');
  check.that(beside.length === 1 && beside[0] === 'b.tar', `the output directory holds ${beside.join(', ')}`);
  if (o.skopeoRef === undefined) return;
  const copy = await runTool('skopeo', ['copy', '--preserve-digests', `oci-archive:${o.out}:${o.skopeoRef}`, `oci:${join(o.dir, 'skopeo')}:x`]);
  check.that(copy.code === 0, `skopeo copy oci-archive: ${copy.stderr}`);
}

/** A download server the trials can slow down while a kill is pending (HTTP file server, HF emulator). */
export interface Throttled {
  throttle(bytesPerSecond: number | undefined): void;
}

/** BuildKillOptions describe one build trial from a download source. */
export interface BuildKillOptions {
  plan: TrialPlan;
  record: TrialRecord;
  check: Check;
  server: Throttled;
  /** The build's arguments; `dir` is its output directory, with the cache in `dir/cache`. */
  args: string[];
  dir: string;
  env: NodeJS.ProcessEnv;
  /** The server's pace while the kill is pending. */
  rate: number;
  /** Bytes the source files hold, and the chunk a rerun may fetch again. */
  total: number;
  chunk: number;
  /** Body bytes the server has sent since the trial began. */
  sent: () => number;
}

/**
 * killAndRerunBuild runs the build throttled, SIGKILLs it at the plan's point, reruns it at full speed, and records
 * and checks the re-transfer: at most one chunk plus the bytes the server had sent that the dead client had not
 * yet stored (socket buffers, lost with the process as for any client; the cache's few small metadata files make
 * the bound a bit looser). Returns the rerun.
 */
export async function killAndRerunBuild(o: BuildKillOptions): Promise<CliResult> {
  const { record, check } = o;
  o.server.throttle(o.rate);
  const child = CliChild.spawn(o.args, o.env);
  const outcome = await killAt(child, o.plan.kill, () => o.sent() / o.total);
  await new Promise((r) => setTimeout(r, 150)); // let the server notice the dead connection
  o.server.throttle(undefined);
  record.killed = outcome.killed;
  record.killAtMs = outcome.atMs;
  record.killAtBytes = o.sent();
  const unread = Math.max(0, record.killAtBytes - (await bytesUnder(join(o.dir, 'cache'))));
  record.unreadAtKill = unread;
  record.bound = o.chunk + unread;
  if (!outcome.killed) check.that(outcome.exitCode === 0, `the first run exited ${outcome.exitCode} on its own: ${child.output()}`);

  const rerun = await runCli(o.args, o.env);
  check.that(rerun.code === 0, `the rerun failed (${rerun.code}): ${rerun.stderr}`);
  const total = o.sent();
  record.reTransferredBytes = total - o.total;
  check.that(total >= o.total, `the server sent ${total} bytes in all, less than the ${o.total} the files hold: was something cached across trials?`);
  check.that(record.reTransferredBytes <= record.bound, `re-fetched ${record.reTransferredBytes} bytes, more than one chunk (${o.chunk}) plus the ${unread} bytes unread at the kill; killed at ${record.killAtBytes} bytes sent`);
  return rerun;
}
