/**
 * `bundle deploy --render-only` (push the bundle and a modelcar built at deploy time into a real registry, then
 * write the manifests) killed at seeded points and rerun: after the kill no manifest points at a missing blob; the
 * rerun writes the same manifests as an uninterrupted deploy, every image they name is complete in the registry,
 * no finished blob is sent again, and what is sent twice is at most the blobs in flight (DESIGN §2.4, §6, §7).
 */
import { cp, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { build } from '../../src/build.js';
import { REPO, runCli, runTool } from '../support/cli.js';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy.js';
import { CliChild, killAt, LANES, planTrials, runLanes, type TrialPlan } from '../support/kill-trial.js';
import { pseudoRandom } from '../support/pseudo-random.js';
import { startRegistry, type RunningRegistry } from '../support/registry.js';
import { readBundleBlobs, type BundleBlobs } from './bundle-blobs.js';
import { danglingAfterKill, graphProblems } from './registry-graph.js';
import { settle, trafficOf } from './upload-ledger.js';
import { Check, newRecord, writeSummary, type TrialRecord } from './trial-record.js';

const KiB = 1024;
const MiB = 1024 * KiB;

let work: string;
let reg: RunningRegistry;
/** One recording proxy per lane, all in front of the same registry. */
let proxies: FaultProxy[] = [];
let blobs: BundleBlobs;
/** Sizes of every unit a clean deploy sends (bundle blobs and the modelcar's), by digest. */
const sizes = new Map<string, number>();
const manifests: string[] = [];
let baselineTotal = 0;
let baselineFiles: Map<string, string>;

const spec = `apiVersion: airbundle.dev/v1
kind: Bundle
metadata: {name: dep, version: 1.0.0}
options: {chunkSize: 1M}
models:
  - name: shards
    source: file://./model
images:
  - source: oci-layout:./images/hello:v1
    name: demo/hello:v1
deploy:
  namespace: ai
  loaderImage: demo/hello:v1
  volumes:
    - {name: shards-cache, model: shards, layout: hf-cache, transport: pull}
  workloads:
    - {generator: kserve, name: shards, model: shards, storage: modelcar}
`;

const args = (host: string, prefix: string, out: string): string[] => ['deploy', blobs.path, '--registry', `${host}/${prefix}`, '--plain-http', '--allow-unsigned', '--render-only', out, '--json'];

/** readRendered maps each rendered file to its text. */
async function readRendered(dir: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const f of (await readdir(dir).catch(() => [] as string[])).sort()) out.set(f, await readFile(join(dir, f), 'utf8'));
  return out;
}

/** normalized writes a trial's registry as `HOST/PREFIX`, in references and in the pull script's URLs. */
function normalized(files: Map<string, string>, host: string, prefix: string): Map<string, string> {
  return new Map([...files].map(([f, text]) => [f, text.replaceAll(`${host}/${prefix}/`, 'HOST/PREFIX/').replaceAll(`${host}/v2/${prefix}/`, 'HOST/v2/PREFIX/').replaceAll(host, 'HOST')]));
}

/** firstDifference shows the first line where two texts part. */
function firstDifference(a: string | undefined, b: string | undefined): string {
  if (a === undefined || b === undefined) return a === undefined ? 'missing' : 'unexpected';
  const x = a.split('\n');
  const y = b.split('\n');
  const i = x.findIndex((line, n) => line !== y[n]);
  return `line ${i + 1}: ${JSON.stringify(x[i]?.slice(0, 200))} vs ${JSON.stringify(y[i]?.slice(0, 200))}`;
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'airbundle-resume-deploy-'));
  const files: Record<string, Buffer> = {
    'model-00001-of-00002.safetensors': pseudoRandom(2 * MiB + 5, 41),
    'model-00002-of-00002.safetensors': pseudoRandom(MiB + 3, 42),
    'config.json': Buffer.from('{"model_type":"llama"}\n'),
    'tokenizer.json': pseudoRandom(200 * KiB, 43),
  };
  await mkdir(join(work, 'model'));
  for (const [path, bytes] of Object.entries(files)) await writeFile(join(work, 'model', path), bytes);
  await cp(join(REPO, 'bundles', 'demo', 'images', 'hello'), join(work, 'images', 'hello'), { recursive: true });
  await writeFile(join(work, 'bundle.yaml'), spec);
  const bundle = join(work, 'd.tar');
  await build({ specPath: join(work, 'bundle.yaml'), out: bundle, cacheDir: join(work, 'cache'), env: { SOURCE_DATE_EPOCH: '946684800' } });
  blobs = await readBundleBlobs(bundle);
  reg = await startRegistry();
  proxies = await Promise.all(Array.from({ length: LANES }, () => startFaultProxy(reg.host)));
  const proxy = proxies[0]!;

  // A clean deploy: what it sends (the modelcar's blobs are only known from it) and the manifests it writes.
  const first = proxy.requests.length;
  const clean = await runCli(args(proxy.host, 'base', join(work, 'base-out')));
  expect(clean.code, clean.stderr).toBe(0);
  for (const [digest, size] of blobs.sizes) sizes.set(digest, size);
  for (const [key, t] of trafficOf(proxy.requests.slice(first)).units) if (!sizes.has(key)) sizes.set(key, t.bytes);
  for (const key of sizes.keys()) if (blobs.manifests.includes(key) || !blobs.sizes.has(key)) manifests.push(key);
  baselineTotal = [...trafficOf(proxy.requests.slice(first)).units.values()].reduce((n, t) => n + t.bytes, 0);
  baselineFiles = normalized(await readRendered(join(work, 'base-out')), proxy.host, 'base');
});

afterAll(async () => {
  await Promise.all(proxies.map((p) => p.stop()));
  await reg?.stop();
  await rm(work, { recursive: true, force: true });
});

/** trial kills one deploy at its seeded point, checks what it left, reruns it, and checks registry and manifests. */
async function trial(plan: TrialPlan, proxy: FaultProxy, last: boolean): Promise<TrialRecord> {
  const maxBlob = Math.max(...sizes.values());
  const check = new Check(plan.label);
  const prefix = `t${plan.trial}`;
  const out = join(work, `out-${plan.trial}`);
  const argv = args(proxy.host, prefix, out);
  const first = proxy.requests.length;
  const sent = (): number => proxy.requests.slice(first).reduce((n, r) => n + (r.method === 'PUT' || r.method === 'PATCH' ? r.requestBytes : 0), 0);
  const record = newRecord(plan, check, 0, `blobs in flight at the kill (deploy pushes 4 at once; largest ${maxBlob})`);
  try {
    const child = CliChild.spawn(argv);
    const outcome = await killAt(child, plan.kill, () => sent() / baselineTotal, { stepMs: 2, startWhen: () => proxy.requests.length > first });
    await new Promise((r) => setTimeout(r, 150));
    record.killed = outcome.killed;
    record.killAtMs = outcome.atMs;
    record.killAtBytes = sent();
    if (!outcome.killed) check.that(outcome.exitCode === 0, `the first run exited ${outcome.exitCode} on its own: ${child.output()}`);
    const dangling = await danglingAfterKill(reg.host, prefix, manifests);
    check.that(dangling.length === 0, `after the kill the registry has manifests pointing at missing content: ${dangling.join('; ')}`);

    const second = proxy.requests.length;
    const rerun = await runCli(argv);
    check.that(rerun.code === 0, `the rerun failed (${rerun.code}): ${rerun.stderr}`);
    const killedRun = trafficOf(proxy.requests.slice(first, second));
    const rerunTraffic = trafficOf(proxy.requests.slice(second));
    const s = settle(killedRun, rerunTraffic, (key) => sizes.get(key) ?? maxBlob);
    record.reTransferredBytes = s.reTransferred;
    record.bound = s.bound;
    record.inFlight = s.inFlight.length;
    check.that(s.resent.length === 0, `the rerun sent blobs the killed run had finished: ${s.resent.join(', ')}`);
    check.that(s.inFlight.length <= 4, `${s.inFlight.length} blobs were in flight at once: ${s.inFlight.join(', ')}`);
    check.that(s.reTransferred <= s.bound, `sent ${s.reTransferred} bytes twice, more than the ${s.bound} bytes of the ${s.inFlight.length} blobs in flight at the kill`);

    const raw = await readRendered(out);
    const rendered = normalized(raw, proxy.host, prefix);
    const diff = [...new Set([...rendered.keys(), ...baselineFiles.keys()])].filter((f) => rendered.get(f) !== baselineFiles.get(f));
    check.that(diff.length === 0, `the manifests differ from an uninterrupted deploy: ${diff.map((f) => `${f}: ${firstDifference(rendered.get(f), baselineFiles.get(f))}`).join('; ')}`);
    // Every image the manifests name, by digest, is complete in the registry (modelcar and bundle images).
    const refs = new Set([...raw.values()].flatMap((text) => [...text.matchAll(new RegExp(`${proxy.host}/(${prefix}/[^\\s"'@]+)@(sha256:[0-9a-f]{64})`, 'g'))].map((m) => `${m[1]}@${m[2]}`)));
    check.that(refs.size > 0, 'the manifests name no image by digest');
    for (const ref of refs) {
      const [repo = '', digest = ''] = ref.split('@');
      const problems = await graphProblems(reg.host, repo, digest, { bytes: true });
      check.that(problems.length === 0, `after the rerun: ${problems.join('; ')}`);
      if (last) {
        const src = `docker://${reg.host}/${repo}@${digest}`;
        const inspect = await runTool('skopeo', ['inspect', '--raw', '--tls-verify=false', src]);
        check.that(inspect.code === 0, `skopeo inspect ${src}: ${inspect.stderr}`);
        const copy = await runTool('skopeo', ['copy', '--src-tls-verify=false', '--preserve-digests', src, `oci:${join(work, 'skopeo')}:${repo.replaceAll('/', '-')}`]);
        check.that(copy.code === 0, `skopeo copy ${src}: ${copy.stderr}`);
      }
    }
    if (rerun.code === 0) {
      const report = JSON.parse(rerun.stdout) as { push?: { references: Array<{ reference: string; digest: string }> } };
      for (const r of report.push?.references ?? []) {
        const [, repo = '', tag = ''] = /^[^/]+\/(.+):([^:]+)$/.exec(r.reference) ?? [];
        const problems = await graphProblems(reg.host, repo, tag, { bytes: true });
        check.that(problems.length === 0, `${r.reference} after the rerun: ${problems.join('; ')}`);
      }
    }
  } catch (err) {
    check.error(err);
  } finally {
    await rm(out, { recursive: true, force: true });
  }
  return record;
}

describe('bundle deploy --render-only, killed and rerun', () => {
  it('resumes every seeded kill: nothing dangling, same manifests, every image complete, at most the blobs in flight sent again', { timeout: 900_000 }, async () => {
    const started = Date.now();
    const plans = planTrials('deploy', 20);
    const records = await runLanes(plans, proxies, (plan, proxy) => trial(plan, proxy, plan === plans.at(-1)));
    await writeSummary('deploy', records, started);
    expect(records.flatMap((r) => r.failures)).toEqual([]);
    expect(records.length).toBeGreaterThanOrEqual(process.env.RESUME_ONLY === undefined ? 20 : 1);
  });
});
