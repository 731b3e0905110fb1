/**
 * `bundle push` into a real registry (distribution 2.8 behind the recording fault proxy), killed at seeded points
 * and rerun: after the kill no manifest points at a missing blob; the rerun completes with every byte right; it
 * never sends a finished blob again, and what it sends twice is at most the blobs that were in flight (2.8 cannot
 * resume an upload session, so an interrupted blob restarts; DESIGN §2.4, §6).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, runTool } from '../support/cli.js';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy.js';
import { CliChild, killAt, LANES, planTrials, runLanes, type TrialPlan } from '../support/kill-trial.js';
import { startRegistry, type RunningRegistry } from '../support/registry.js';
import { buildShardedModel, readBundleBlobs, type BundleBlobs } from './bundle-blobs.js';
import { danglingAfterKill, fetchManifest, graphProblems } from './registry-graph.js';
import { settle, trafficOf } from './upload-ledger.js';
import { Check, newRecord, writeSummary, type TrialRecord } from './trial-record.js';

const KiB = 1024;
const MiB = 1024 * KiB;
const SHARDS: Record<string, number> = {
  'shard-0.safetensors': 12 * MiB + 1,
  'shard-1.safetensors': 2 * MiB + 512 * KiB,
  'shard-2.safetensors': 2 * MiB,
  'shard-3.safetensors': 1536 * KiB,
  'shard-4.safetensors': MiB,
  'shard-5.safetensors': 512 * KiB,
  'config.json': 300,
  'tokenizer.json': 20 * KiB,
};

let work: string;
let reg: RunningRegistry;
/** One recording proxy per lane, all in front of the same registry. */
let proxies: FaultProxy[] = [];
let blobs: BundleBlobs;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'airbundle-resume-push-'));
  blobs = await readBundleBlobs(await buildShardedModel(work, SHARDS, 'k.tar'));
  reg = await startRegistry();
  proxies = await Promise.all(Array.from({ length: LANES }, () => startFaultProxy(reg.host)));
});

afterAll(async () => {
  await Promise.all(proxies.map((p) => p.stop()));
  await reg?.stop();
  await rm(work, { recursive: true, force: true });
});

interface PushReport {
  references: Array<{ reference: string; digest: string }>;
}

/** trial kills one push at its seeded point, checks what it left, reruns it, and checks what the proxy saw. */
async function trial(plan: TrialPlan, proxy: FaultProxy, last: boolean): Promise<TrialRecord> {
  const check = new Check(plan.label);
  const prefix = `t${plan.trial}`;
  const jobs = [1, 2, 4][Math.floor(plan.random() * 3)] ?? 1;
  const args = ['push', blobs.path, '--registry', `${proxy.host}/${prefix}`, '--plain-http', '-j', String(jobs), '--json'];
  const first = proxy.requests.length;
  const sent = (): number => proxy.requests.slice(first).reduce((n, r) => n + (r.method === 'PUT' || r.method === 'PATCH' ? r.requestBytes : 0), 0);
  const record = newRecord(plan, check, 0, `blobs in flight at the kill (-j ${jobs}, largest blob ${blobs.maxBlob})`);
  record.jobs = jobs;
  try {
    const child = CliChild.spawn(args);
    // Step the CLI once it talks to the registry (start-up runs freely), so kills land near their point.
    const outcome = await killAt(child, plan.kill, () => sent() / blobs.total, { stepMs: 2, startWhen: () => proxy.requests.length > first });
    await new Promise((r) => setTimeout(r, 150)); // let the proxy see both connections close
    record.killed = outcome.killed;
    record.killAtMs = outcome.atMs;
    record.killAtBytes = sent();
    if (!outcome.killed) check.that(outcome.exitCode === 0, `the first run exited ${outcome.exitCode} on its own: ${child.output()}`);
    const dangling = await danglingAfterKill(reg.host, prefix, blobs.manifests);
    check.that(dangling.length === 0, `after the kill the registry has manifests pointing at missing content: ${dangling.join('; ')}`);

    const second = proxy.requests.length;
    const rerun = await runCli(args);
    check.that(rerun.code === 0, `the rerun failed (${rerun.code}): ${rerun.stderr}`);
    const killedRun = trafficOf(proxy.requests.slice(first, second));
    const rerunTraffic = trafficOf(proxy.requests.slice(second));
    const s = settle(killedRun, rerunTraffic, (key) => blobs.sizes.get(key) ?? blobs.maxBlob);
    record.reTransferredBytes = s.reTransferred;
    record.bound = s.bound;
    record.inFlight = s.inFlight.length;
    record.patches = killedRun.patches + rerunTraffic.patches;
    check.that(s.resent.length === 0, `the rerun sent blobs the killed run had finished: ${s.resent.join(', ')}`);
    check.that(s.inFlight.length <= jobs, `${s.inFlight.length} blobs were in flight with -j ${jobs}: ${s.inFlight.join(', ')}`);
    check.that(s.reTransferred <= s.bound, `sent ${s.reTransferred} bytes twice, more than the ${s.bound} bytes of the ${s.inFlight.length} blobs in flight at the kill`);
    check.that(s.bound <= blobs.maxBlob * jobs, `bound ${s.bound} exceeds the largest blob × -j`);
    check.that(rerunTraffic.tagPuts <= 1, `the rerun PUT ${rerunTraffic.tagPuts} tags for one artifact`);

    if (rerun.code === 0) {
      const report = JSON.parse(rerun.stdout) as PushReport;
      check.that(report.references.length === 1, `the rerun reported ${report.references.length} references`);
      for (const ref of report.references) {
        const [, repo = '', tag = ''] = /^[^/]+\/(.+):([^:]+)$/.exec(ref.reference) ?? [];
        const tagged = await fetchManifest(reg.host, repo, tag);
        check.that(tagged?.digest === ref.digest, `${repo}:${tag} is ${tagged?.digest}, ${ref.digest} expected`);
        check.that(blobs.manifests.includes(ref.digest), `${ref.digest} is not a manifest of the bundle`);
        const problems = await graphProblems(reg.host, repo, tag, { bytes: true });
        check.that(problems.length === 0, `after the rerun: ${problems.join('; ')}`);
        if (last) {
          // A real client agrees: skopeo inspects and copies what was pushed.
          const src = `docker://${reg.host}/${repo}:${tag}`;
          const inspect = await runTool('skopeo', ['inspect', '--raw', '--tls-verify=false', src]);
          check.that(inspect.code === 0, `skopeo inspect: ${inspect.stderr}`);
          const copy = await runTool('skopeo', ['copy', '--src-tls-verify=false', '--preserve-digests', src, `oci:${join(work, 'skopeo')}:x`]);
          check.that(copy.code === 0, `skopeo copy: ${copy.stderr}`);
        }
      }
    }
  } catch (err) {
    check.error(err);
  }
  return record;
}

describe('bundle push, killed and rerun', () => {
  it('resumes every seeded kill: nothing dangling, every byte right, at most the blobs in flight sent again', { timeout: 900_000 }, async () => {
    const started = Date.now();
    const plans = planTrials('push', 20);
    const records = await runLanes(plans, proxies, (plan, proxy) => trial(plan, proxy, plan === plans.at(-1)));
    await writeSummary('push', records, started);
    expect(records.flatMap((r) => r.failures)).toEqual([]);
    expect(records.length).toBeGreaterThanOrEqual(process.env.RESUME_ONLY === undefined ? 20 : 1);
  });
});
