/**
 * `bundle build` from an HTTP source, killed at seeded points and rerun: the bundle comes out byte for byte the
 * same as an uninterrupted build, and the file server sends again at most one chunk (the downloader resumes with
 * Range from the bytes on disk; DESIGN §2.4 and §11 "re-sends ≤ one chunk").
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { startHttpFileServer, type HttpFileServer } from '../support/http-file-server.js';
import { LANES, planTrials, runLanes, type TrialPlan } from '../support/kill-trial.js';
import { pseudoRandom } from '../support/pseudo-random.js';
import { sha256File, sha256Hex } from './file-hash.js';
import { checkResumedBuild, killAndRerunBuild } from './resumed-build.js';
import { Check, newRecord, writeSummary, type TrialRecord } from './trial-record.js';

const MiB = 1024 * 1024;
/** The spec's chunk size: the unit DESIGN §2.4 allows a rerun to fetch again. */
const CHUNK = MiB;
const FILES: Record<string, Buffer> = { '/org/a.safetensors': pseudoRandom(3 * MiB + 333, 11), '/org/b.safetensors': pseudoRandom(MiB + 512 * 1024 + 77, 12) };
/**
 * The server's pace while a kill is pending. Bytes the server has sent but the client has not yet written when
 * it dies (socket buffers) count as sent twice; at 2 MiB/s the client would have to stall for half a second
 * before those alone reach a chunk.
 */
const RATE = 2 * MiB;
const TOTAL = Object.values(FILES).reduce((n, b) => n + b.length, 0);
const ENV = { SOURCE_DATE_EPOCH: '946684800' };

/** Lane is a file server with its spec and the bundle an uninterrupted build of that spec makes. */
interface Lane {
  dir: string;
  server: HttpFileServer;
  spec: string;
  reference: string;
}

let work: string;
let lanes: Lane[] = [];

async function startLane(i: number): Promise<Lane> {
  const dir = join(work, `lane-${i}`);
  await mkdir(dir);
  const server = await startHttpFileServer({ files: FILES });
  const models = Object.entries(FILES).map(([path, bytes], n) => `  - name: w${n}\n    source: ${server.url}${path}#sha256=${sha256Hex(bytes)}\n`);
  const spec = join(dir, 'bundle.yaml');
  await writeFile(spec, `apiVersion: airbundle.dev/v1\nkind: Bundle\nmetadata: {name: web, version: 1.0.0}\noptions: {chunkSize: 1M}\nmodels:\n${models.join('')}`);
  const built = await runCli(['build', spec, '--out', join(dir, 'ref.tar'), '--cache', join(dir, 'ref-cache')], ENV);
  expect(built.code, built.stderr).toBe(0);
  return { dir, server, spec, reference: await sha256File(join(dir, 'ref.tar')) };
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'airbundle-resume-http-'));
  lanes = await Promise.all(Array.from({ length: LANES }, (_, i) => startLane(i)));
});

afterAll(async () => {
  await Promise.all(lanes.map((l) => l.server.close()));
  await rm(work, { recursive: true, force: true });
});

/** trial kills one build at its seeded point, reruns it, and checks the bundle and what the server sent. */
async function trial(plan: TrialPlan, lane: Lane, last: boolean): Promise<TrialRecord> {
  const check = new Check(plan.label);
  const record = newRecord(plan, check, CHUNK, 'one 1 MiB chunk (downloads are sequential) + bytes unread at the kill');
  const { server } = lane;
  const dir = join(lane.dir, `t${plan.trial}`);
  const out = join(dir, 'b.tar');
  const args = ['build', lane.spec, '--out', out, '--cache', join(dir, 'cache')];
  const first = server.requests.length;
  const sent = (): number => server.requests.slice(first).reduce((n, r) => n + r.bytesSent, 0);
  try {
    const rerun = await killAndRerunBuild({ plan, record, check, server, args, dir, env: ENV, rate: RATE, total: TOTAL, chunk: CHUNK, sent });
    record.rangeRequests = server.requests.slice(first).filter((r) => r.range !== undefined).length;
    if (rerun.code === 0) await checkResumedBuild(check, { out, dir, reference: lane.reference, ...(last ? { skopeoRef: 'models/w0:1.0.0' } : {}) });
  } catch (err) {
    check.error(err);
  } finally {
    server.throttle(undefined);
    await rm(dir, { recursive: true, force: true });
  }
  return record;
}

describe('bundle build from HTTP, killed and rerun', () => {
  it('resumes every seeded kill: same bundle bytes, at most one chunk fetched again', { timeout: 900_000 }, async () => {
    const started = Date.now();
    const plans = planTrials('build-http', 20);
    const records = await runLanes(plans, lanes, (plan, lane) => trial(plan, lane, plan === plans.at(-1)));
    await writeSummary('build-http', records, started);
    expect(records.flatMap((r) => r.failures)).toEqual([]);
    expect(records.length).toBeGreaterThanOrEqual(process.env.RESUME_ONLY === undefined ? 20 : 1);
  });
});
