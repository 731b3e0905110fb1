/**
 * `bundle deploy` filling a volume with `transport: stream` (a loader pod fed a tar over the exec API, here the
 * Kubernetes API emulator running the pod's scripts with busybox in a directory standing in for the PVC), killed at
 * seeded points and rerun: after the kill `.done` is never next to a half-filled volume; the rerun leaves the same
 * files, byte for byte, as `bundle materialize`, with no staging left; it sends no file the killed run had finished
 * sending, and the file content sent twice is at most the files in flight at the kill (DESIGN §2.4, §6).
 *
 * What was sent is measured where the pod receives it: the emulator hands the test every byte it writes to the
 * loader's stdin, and the test parses that tar. Re-transferred = file content received over both runs minus the
 * model's distinct content. In flight at the kill = the file whose bytes were arriving when the stream stopped,
 * plus any file that ended within the last 256 KiB before it (bytes still in the pipe and socket buffers between
 * the exec API and `tar` may be lost with the killed exec); the bound is what the pod had received of those. The
 * rerun resumes a cut file from its staged start, so usually nothing at all is sent twice; the bound asserted is
 * DESIGN's (the unit in flight), and the record shows what was measured.
 */
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import tar from 'tar-stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { build } from '../../src/build.js';
import { digestHex } from '../../src/content/digest.js';
import { DONE_FILE, STAGING_DIR } from '../../src/materialize/marker-files.js';
import { materializeModel, openMaterializePlan } from '../../src/materialize/materialize-model.js';
import { REPO, runCli } from '../support/cli.js';
import { startK8sEmulator, writeKubeconfig, type RunningEmulator } from '../support/k8s-emulator.js';
import { CliChild, killAt, LANES, planTrials, runLanes, type TrialPlan } from '../support/kill-trial.js';
import { pseudoRandom } from '../support/pseudo-random.js';
import { treeDigests } from './file-hash.js';
import { Check, newRecord, writeSummary, type TrialRecord } from './trial-record.js';

const KiB = 1024;
const MiB = 1024 * KiB;
/** Bytes between the emulator's stdin hand-off and `tar` that a killed exec may lose (see the file comment). */
const BUFFERED = 256 * KiB;
const MOUNT = '/data';
const CONTENT_RE = /^([0-9a-f]{64})(?:\.\d+)?$/;

const spec = `apiVersion: airbundle.dev/v1
kind: Bundle
metadata: {name: stream, version: 1.0.0}
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
    - {name: shards-cache, model: shards, layout: hf-cache, transport: stream}
`;

/** TapEntry is one tar entry the pod's stdin received: its name, its size, and how much of it arrived. */
interface TapEntry {
  name: string;
  size: number;
  received: number;
  /** File content received by this exec up to the end of this entry. */
  endsAt: number;
}

/** Tap holds the loader streams an emulator received, one list of entries per exec. */
interface Tap {
  streams: TapEntry[][];
}

/** Lane is one emulator (its exec runs in the trial's PVC directory) and what its loader execs received. */
interface Lane {
  k8s: RunningEmulator;
  kubeconfig: string;
  tap: Tap;
}

let work: string;
let bundle: string;
let lanes: Lane[] = [];
let reference: Map<string, string>;
/** Size of each distinct content of the plan, by hex; the model's size is their sum. */
const contents = new Map<string, number>();
let modelBytes = 0;
let largest = 0;

/** record parses one exec's stdin as a tar, counting the bytes of each entry as they arrive. */
function record(tap: Tap, bytes: Readable): void {
  const entries: TapEntry[] = [];
  tap.streams.push(entries);
  let content = 0;
  const extract = tar.extract();
  extract.on('entry', (header, body, next) => {
    const e: TapEntry = { name: header.name, size: header.size ?? 0, received: 0, endsAt: content };
    const isContent = CONTENT_RE.test(e.name);
    entries.push(e);
    body.on('data', (c: unknown) => {
      const n = (c as Uint8Array).length;
      e.received += n;
      if (isContent) content += n;
      e.endsAt = content;
    });
    body.on('end', next);
    body.on('error', () => undefined);
  });
  extract.on('error', () => undefined); // a killed stream ends mid-entry
  pipeline(bytes, extract).catch(() => undefined);
}

const contentOf = (streams: TapEntry[][]): number => streams.flat().reduce((n, e) => n + (CONTENT_RE.test(e.name) ? e.received : 0), 0);

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'airbundle-resume-stream-'));
  const vocab = pseudoRandom(64 * KiB + 5, 54);
  const files: Record<string, Buffer> = {
    'model-00001-of-00002.safetensors': pseudoRandom(3 * MiB + 7, 51),
    'model-00002-of-00002.safetensors': pseudoRandom(2 * MiB + 11, 52),
    'tokenizer.json': pseudoRandom(700 * KiB, 53),
    'config.json': Buffer.from('{"model_type":"llama"}\n'),
    'extra/vocab.txt': vocab,
    // The same content at a second path: sent once, copied on the volume.
    'vocab.txt': vocab,
  };
  for (const [path, bytes] of Object.entries(files)) {
    await mkdir(dirname(join(work, 'model', path)), { recursive: true });
    await writeFile(join(work, 'model', path), bytes);
  }
  await cp(join(REPO, 'bundles', 'demo', 'images', 'hello'), join(work, 'images', 'hello'), { recursive: true });
  await writeFile(join(work, 'bundle.yaml'), spec);
  bundle = join(work, 's.tar');
  await build({ specPath: join(work, 'bundle.yaml'), out: bundle, cacheDir: join(work, 'cache'), env: { SOURCE_DATE_EPOCH: '946684800' } });

  const to = join(work, 'reference');
  await materializeModel(bundle, { model: 'shards', layout: 'hf-cache', to });
  reference = await treeDigests(to);
  const opened = await openMaterializePlan(bundle, { model: 'shards', layout: 'hf-cache' });
  try {
    for (const f of opened.plan.files) contents.set(digestHex(f.digest), f.size);
  } finally {
    await opened.close();
  }
  modelBytes = [...contents.values()].reduce((n, s) => n + s, 0);
  largest = Math.max(...contents.values());

  lanes = await Promise.all(
    Array.from({ length: LANES }, async (_, i) => {
      const tap: Tap = { streams: [] };
      const k8s = await startK8sEmulator({ exec: { mounts: {}, onStdin: (_command, bytes) => record(tap, bytes) } });
      await mkdir(join(work, `lane-${i}`));
      return { k8s, tap, kubeconfig: await writeKubeconfig(join(work, `lane-${i}`), k8s) };
    }),
  );
});

afterAll(async () => {
  await Promise.all(lanes.map((l) => l.k8s.stop()));
  await rm(work, { recursive: true, force: true });
});

/** trial kills one deploy at its seeded point, checks the volume, reruns it, and measures what was sent twice. */
async function trial(plan: TrialPlan, lane: Lane): Promise<TrialRecord> {
  const check = new Check(plan.label);
  const pvc = join(work, `pvc-${plan.trial}`);
  await mkdir(pvc);
  lane.k8s.exec.mounts = { [MOUNT]: pvc };
  lane.tap.streams = [];
  // The registry is never contacted: nothing is pushed, and only the loader image's name is mapped to it.
  const args = ['deploy', bundle, '--registry', '127.0.0.1:9', '--plain-http', '--allow-unsigned', '--no-push', '--kubeconfig', lane.kubeconfig, '--json'];
  const record = newRecord(plan, check, 0, `the file in flight at the kill and any ending in its last ${BUFFERED / KiB} KiB (largest file ${largest} B)`);
  try {
    const child = CliChild.spawn(args);
    const streaming = (): boolean => {
      if (lane.tap.streams.length > 0 && record.streamAtMs === undefined) record.streamAtMs = Date.now() - child.startedAt;
      return lane.tap.streams.length > 0;
    };
    const outcome = await killAt(child, plan.kill, () => contentOf(lane.tap.streams) / modelBytes, { stepMs: 2, startWhen: streaming });
    await new Promise((r) => setTimeout(r, 200)); // the emulator sees the socket close and stops the exec
    record.killed = outcome.killed;
    record.killAtMs = outcome.atMs;
    if (!outcome.killed) check.that(outcome.exitCode === 0, `the first run exited ${outcome.exitCode} on its own: ${child.output()}`);
    const killedStreams = lane.tap.streams;
    const killedContent = contentOf(killedStreams);
    record.killAtBytes = killedContent;

    // What the kill left: `.done` is only ever next to a complete volume.
    const left = await treeDigests(pvc);
    const placed = [...reference.keys()].filter((k) => !k.endsWith('/') && left.has(k));
    const done = await readFile(join(pvc, DONE_FILE), 'utf8').catch(() => undefined);
    record.leftAtKill = done !== undefined ? 'done' : placed.length > 0 ? 'placing' : left.size > 0 ? 'staging' : 'nothing';
    if (done !== undefined) {
      const wrong = [...reference.keys()].filter((k) => !k.endsWith('/') && left.get(k) !== reference.get(k));
      check.that(wrong.length === 0, `after the kill .done is there but these files are not right: ${wrong.join(', ')}`);
    }

    // What was in flight: the last content entry, and any that ended within the buffered bytes before the end.
    const sent = killedStreams.flat().filter((e) => CONTENT_RE.test(e.name));
    const inFlight = sent.filter((e, i) => i === sent.length - 1 || e.received < e.size || e.endsAt > killedContent - BUFFERED);
    // Only what reached the pod can be sent twice: the bytes of those files it had received.
    record.bound = inFlight.reduce((n, e) => n + e.received, 0);
    record.inFlight = inFlight.length;

    lane.tap.streams = [];
    const rerunStart = Date.now();
    const rerun = await runCli(args);
    record.rerunMs = Date.now() - rerunStart;
    check.that(rerun.code === 0, `the rerun failed (${rerun.code}): ${rerun.stderr}`);
    const rerunContent = contentOf(lane.tap.streams);
    record.rerunBytes = rerunContent;
    record.reTransferredBytes = killedContent + rerunContent - modelBytes;
    const hexes = (entries: TapEntry[]): Set<string> => new Set(entries.map((e) => CONTENT_RE.exec(e.name)?.[1]).filter((h): h is string => h !== undefined));
    const flight = hexes(inFlight);
    const again = [...hexes(lane.tap.streams.flat())].filter((h) => hexes(sent).has(h) && !flight.has(h));
    check.that(again.length === 0, `the rerun sent again files the killed run had finished sending: ${again.join(', ')}`);
    check.that(record.reTransferredBytes >= 0, `the two runs sent ${killedContent + rerunContent} bytes of file content, less than the model's ${modelBytes}`);
    check.that(record.reTransferredBytes <= record.bound, `sent ${record.reTransferredBytes} bytes of file content twice, more than the ${record.bound} bytes of the ${inFlight.length} files in flight`);
    // Whatever ended within the buffered bytes, everything after it is within them too: one file plus the buffers.
    check.that(record.bound <= largest + BUFFERED, `the bound ${record.bound} is more than one file and the buffers`);

    const tree = await treeDigests(pvc);
    const diff = [...new Set([...tree.keys(), ...reference.keys()])].filter((k) => tree.get(k) !== reference.get(k));
    check.that(diff.length === 0, `the volume differs from bundle materialize at: ${diff.join(', ')}`);
    check.that(![...tree.keys()].some((k) => k.startsWith(STAGING_DIR)), 'staging was left on the volume');
  } catch (err) {
    check.error(err);
  } finally {
    await rm(pvc, { recursive: true, force: true });
  }
  return record;
}

describe('bundle deploy with a stream volume, killed and rerun', () => {
  it('resumes every seeded kill: same files as materialize, no finished file sent again, at most the files in flight sent twice', { timeout: 600_000 }, async () => {
    const started = Date.now();
    const plans = planTrials('deploy-stream', 20);
    const records = await runLanes(plans, lanes, (plan, lane) => trial(plan, lane));
    await writeSummary('deploy-stream', records, started);
    expect(records.flatMap((r) => r.failures)).toEqual([]);
    expect(records.length).toBeGreaterThanOrEqual(process.env.RESUME_ONLY === undefined ? 20 : 1);
  });
});
