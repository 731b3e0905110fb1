/**
 * `bundle materialize BUNDLE --layout plain|hf-cache --to DIR`, killed at seeded points and rerun: the tree comes
 * out byte for byte the same as an uninterrupted run (markers included, no partial or journal left), no file that
 * had its final name is written again, and the bytes written twice are at most the files in flight at the kill
 * (a partial file is taken over, so normally none; DESIGN §2.4, §6).
 */
import { lstat, mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { partialNameFor } from '../../src/materialize/marker-files.js';
import { materializeModel } from '../../src/materialize/materialize-model.js';
import { runCli } from '../support/cli.js';
import { CliChild, killAt, LANES, planTrials, runLanes, type TrialPlan } from '../support/kill-trial.js';
import { buildShardedModel } from './bundle-blobs.js';
import { bytesUnder, treeDigests } from './file-hash.js';
import { Check, newRecord, writeSummary, type TrialRecord } from './trial-record.js';

const KiB = 1024;
const MiB = 1024 * KiB;
const FILES: Record<string, number> = {
  'model-00001-of-00003.safetensors': 3 * MiB + 7,
  'model-00002-of-00003.safetensors': 2 * MiB + 11,
  'model-00003-of-00003.safetensors': 1536 * KiB,
  'tokenizer.json': 700 * KiB,
  'config.json': 200,
  'extra/vocab.txt': 64 * KiB,
  'extra/merges.txt': 300 * KiB,
};
const LAYOUTS = ['plain', 'hf-cache'] as const;
type Layout = (typeof LAYOUTS)[number];

let work: string;
let bundle: string;
const references = new Map<Layout, { tree: Map<string, string>; files: Array<{ path: string; size: number }>; total: number }>();

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'airbundle-resume-mat-'));
  bundle = await buildShardedModel(work, FILES, 'm.tar');
  for (const layout of LAYOUTS) {
    const to = join(work, `ref-${layout}`);
    const result = await materializeModel(bundle, { model: 'shards', layout, to });
    const files = await Promise.all(result.files.map(async (path) => ({ path, size: (await stat(join(to, path))).size })));
    references.set(layout, { tree: await treeDigests(to), files, total: files.reduce((n, f) => n + f.size, 0) });
  }
});

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

/** Identity is a file's inode and mtime: unchanged means not written again. */
type Identity = { ino: bigint; mtimeNs: bigint; size: number };

async function identity(path: string): Promise<Identity | undefined> {
  const st = await lstat(path, { bigint: true }).catch(() => undefined);
  return st?.isFile() === true ? { ino: st.ino, mtimeNs: st.mtimeNs, size: Number(st.size) } : undefined;
}

/** trial kills one materialize at its seeded point, reruns it, and checks the tree and what was written twice. */
async function trial(plan: TrialPlan): Promise<TrialRecord> {
  const check = new Check(plan.label);
  const layout: Layout = plan.trial % 2 === 0 ? 'plain' : 'hf-cache';
  const ref = references.get(layout)!;
  const to = join(work, `t${plan.trial}`);
  const args = ['materialize', bundle, '--model', 'shards', '--layout', layout, '--to', to, '--json'];
  const record = newRecord(plan, check, 0, 'files in flight (partial files) at the kill');
  record.layout = layout;
  try {
    const child = CliChild.spawn(args);
    const exists = async (): Promise<boolean> => (await readdir(to).catch(() => undefined)) !== undefined;
    // Step the CLI once the target exists (start-up runs freely): local writes are too fast to catch otherwise.
    const outcome = await killAt(child, plan.kill, async () => (await bytesUnder(to)) / ref.total, { stepMs: 2, startWhen: exists });
    record.killed = outcome.killed;
    record.killAtMs = outcome.atMs;
    if (!outcome.killed) check.that(outcome.exitCode === 0, `the first run exited ${outcome.exitCode} on its own: ${child.output()}`);

    // The state the kill left: finished files (final name) and partial ones (in flight).
    const finished = new Map<string, Identity>();
    const partial = new Map<string, Identity>();
    let onDisk = 0;
    for (const f of ref.files) {
      const final = await identity(join(to, f.path));
      const part = await identity(join(to, partialNameFor(f.path)));
      if (final !== undefined) {
        check.that(final.size === f.size, `${f.path} has its final name with ${final.size} of ${f.size} bytes`);
        finished.set(f.path, final);
        onDisk += final.size;
      } else if (part !== undefined) {
        partial.set(f.path, part);
        onDisk += part.size;
      }
    }
    record.killAtBytes = onDisk;
    record.bound = ref.files.filter((f) => partial.has(f.path)).reduce((n, f) => n + f.size, 0);
    record.inFlight = partial.size;

    const rerun = await runCli(args);
    check.that(rerun.code === 0, `the rerun failed (${rerun.code}): ${rerun.stderr}`);
    const written = rerun.code === 0 ? (JSON.parse(rerun.stdout) as { bytes: number }).bytes : 0;
    // Bytes the rerun wrote beyond what was missing after the kill: written twice.
    const byReport = written - (ref.total - onDisk);
    // The same seen on disk: a finished file with a new inode or mtime, or a partial file not taken over.
    let byDisk = 0;
    for (const [path, before] of finished) {
      const after = await identity(join(to, path));
      if (after?.ino !== before.ino || after.mtimeNs !== before.mtimeNs) {
        check.that(false, `${path} had its final name at the kill and was written again`);
        byDisk += before.size;
      }
    }
    for (const [path, before] of partial) if ((await identity(join(to, path)))?.ino !== before.ino) byDisk += before.size;
    record.reTransferredBytes = Math.max(byReport, byDisk);
    record.reWrittenByReport = byReport;
    record.reWrittenOnDisk = byDisk;
    check.that(byReport >= 0, `the rerun wrote ${written} bytes, less than the ${ref.total - onDisk} missing after the kill`);
    check.that(record.reTransferredBytes <= record.bound, `wrote ${record.reTransferredBytes} bytes twice, more than the ${record.bound} bytes of the ${partial.size} files in flight`);

    const tree = await treeDigests(to);
    const diff = [...new Set([...tree.keys(), ...ref.tree.keys()])].filter((k) => tree.get(k) !== ref.tree.get(k));
    check.that(diff.length === 0, `the tree differs from an uninterrupted run at: ${diff.join(', ')}`);
  } catch (err) {
    check.error(err);
  } finally {
    await rm(to, { recursive: true, force: true });
  }
  return record;
}

describe('bundle materialize, killed and rerun', () => {
  it('resumes every seeded kill: same tree, finished files untouched, at most the files in flight written again', { timeout: 900_000 }, async () => {
    const started = Date.now();
    const plans = planTrials('materialize', 20);
    const records = await runLanes(plans, Array.from({ length: LANES }, (_, i) => i), (plan) => trial(plan));
    await writeSummary('materialize', records, started);
    expect(records.flatMap((r) => r.failures)).toEqual([]);
    expect(records.length).toBeGreaterThanOrEqual(process.env.RESUME_ONLY === undefined ? 20 : 1);
  });
});
