/**
 * `bundle build` from a Hugging Face repository (the Hub emulator: API, resolve redirects to a CDN origin, Range),
 * killed at seeded points and rerun: the bundle comes out byte for byte the same as an uninterrupted build, and
 * the Hub and CDN together send again at most one chunk (files are fetched one after the other, each resumed with
 * Range + If-Range from the bytes on disk; DESIGN §2.4, §5).
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { startHfEmulator, type HfEmulator } from '../support/hf-emulator.js';
import { LANES, planTrials, runLanes, type TrialPlan } from '../support/kill-trial.js';
import { pseudoRandom } from '../support/pseudo-random.js';
import { sha256File } from './file-hash.js';
import { checkResumedBuild, killAndRerunBuild } from './resumed-build.js';
import { Check, newRecord, writeSummary, type TrialRecord } from './trial-record.js';

const MiB = 1024 * 1024;
/** The spec's chunk size: the unit DESIGN §2.4 allows a rerun to fetch again. */
const CHUNK = MiB;
const FILES: Record<string, Buffer> = {
  'config.json': Buffer.from('{"model_type":"llama","hidden_size":8}\n'),
  'tokenizer.json': Buffer.from(`{"model":{"type":"BPE","vocab":"${'ab'.repeat(20_000)}"}}`),
  'model-00001-of-00002.safetensors': pseudoRandom(2 * MiB + 4321, 21),
  'model-00002-of-00002.safetensors': pseudoRandom(MiB + 512 * 1024 + 99, 22),
  'README.md': Buffer.from('# tiny\n'),
};
/** The emulator's pace while a kill is pending: socket buffers a stalled client never read count as sent twice. */
const RATE = 2 * MiB;
const TOTAL = Object.values(FILES).reduce((n, b) => n + b.length, 0);
const SPEC = 'apiVersion: airbundle.dev/v1\nkind: Bundle\nmetadata: {name: hf, version: 1.0.0}\noptions: {chunkSize: 1M}\nmodels:\n  - name: tiny\n    source: hf://org/tiny\n';

/** Lane is a Hub emulator, the environment pointing at it, and the bundle an uninterrupted build makes. */
interface Lane {
  dir: string;
  hub: HfEmulator;
  env: NodeJS.ProcessEnv;
  spec: string;
  reference: string;
}

let work: string;
let lanes: Lane[] = [];

async function startLane(i: number): Promise<Lane> {
  const dir = join(work, `lane-${i}`);
  await mkdir(dir);
  const hub = await startHfEmulator({ pageSize: 2 });
  hub.addCommit('org/tiny', { files: FILES });
  // HF_TOKEN set empty so a developer's own token never leaks in.
  const env = { SOURCE_DATE_EPOCH: '946684800', HF_TOKEN: '', HF_ENDPOINT: hub.url };
  const spec = join(dir, 'bundle.yaml');
  await writeFile(spec, SPEC);
  const built = await runCli(['build', spec, '--out', join(dir, 'ref.tar'), '--cache', join(dir, 'ref-cache')], env);
  expect(built.code, built.stderr).toBe(0);
  return { dir, hub, env, spec, reference: await sha256File(join(dir, 'ref.tar')) };
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'airbundle-resume-hf-'));
  lanes = await Promise.all(Array.from({ length: LANES }, (_, i) => startLane(i)));
});

afterAll(async () => {
  await Promise.all(lanes.map((l) => l.hub.close()));
  await rm(work, { recursive: true, force: true });
});

/** trial kills one build at its seeded point, reruns it, and checks the bundle and what Hub and CDN sent. */
async function trial(plan: TrialPlan, lane: Lane, last: boolean): Promise<TrialRecord> {
  const check = new Check(plan.label);
  const record = newRecord(plan, check, CHUNK, 'one 1 MiB chunk (files are fetched one at a time) + bytes unread at the kill');
  const { hub } = lane;
  const dir = join(lane.dir, `t${plan.trial}`);
  const out = join(dir, 'b.tar');
  const args = ['build', lane.spec, '--out', out, '--cache', join(dir, 'cache')];
  const first = hub.requests.length;
  // File bodies only (the Hub for small files, the CDN for LFS ones); API answers are metadata a rerun asks again.
  const sent = (): number => hub.requests.slice(first).reduce((n, r) => n + r.bytesSent, 0);
  try {
    const rerun = await killAndRerunBuild({ plan, record, check, server: hub, args, dir, env: lane.env, rate: RATE, total: TOTAL, chunk: CHUNK, sent });
    record.rangeResumes = hub.requests.slice(first).filter((r) => r.range !== undefined && !r.range.startsWith('bytes=0-')).length;
    if (rerun.code === 0) await checkResumedBuild(check, { out, dir, reference: lane.reference, ...(last ? { skopeoRef: 'models/tiny:1.0.0' } : {}) });
  } catch (err) {
    check.error(err);
  } finally {
    hub.throttle(undefined);
    await rm(dir, { recursive: true, force: true });
  }
  return record;
}

describe('bundle build from hf://, killed and rerun', () => {
  it('resumes every seeded kill: same bundle bytes, at most one chunk fetched again', { timeout: 900_000 }, async () => {
    const started = Date.now();
    const plans = planTrials('build-hf', 20);
    const records = await runLanes(plans, lanes, (plan, lane) => trial(plan, lane, plan === plans.at(-1)));
    await writeSummary('build-hf', records, started);
    expect(records.flatMap((r) => r.failures)).toEqual([]);
    expect(records.length).toBeGreaterThanOrEqual(process.env.RESUME_ONLY === undefined ? 20 : 1);
  });
});
