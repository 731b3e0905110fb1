/**
 * The stream transport resumes (DESIGN §2.4): stagingProbe + planStream + createFileTarStream + loaderScript, run
 * under busybox the way deploy runs them in a loader pod, with streams cut at chosen bytes, staged contents
 * damaged, and a loader killed while it moves files into place.
 */
import { access, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { digestHex, sha256Digest } from '../../src/content/digest.js';
import { streamPlaces } from '../../src/materialize/file-tar-stream.js';
import { DONE_FILE, STAGING_DIR, markerFiles } from '../../src/materialize/marker-files.js';
import type { MaterializePlan, PlannedFile } from '../../src/materialize/materialize-plan.js';
import { openMaterializePlan, type OpenedPlan } from '../../src/materialize/materialize-model.js';
import { planMaterialization } from '../../src/materialize/plan-materialization.js';
import { streamLoader } from '../../src/materialize/pvc-loader.js';
import { readStagingReport } from '../../src/materialize/staging-probe.js';
import type { StreamPlan } from '../../src/materialize/stream-plan.js';
import { writePlan } from '../../src/materialize/write-plan.js';
import { busyboxShell, type BusyboxShell } from '../support/busybox.js';
import { readTree, treeDifference } from '../support/file-tree.js';
import { buildModelBundle, modelPackInMemory, type ModelBundle } from '../support/model-fixtures.js';
import { pseudoRandom } from '../support/pseudo-random.js';
import { tarEntries } from '../support/tar-entries.js';
import { useTempDirs } from '../support/temp-dir.js';

const tempDir = useTempDirs();
let shared: string;
let fx: ModelBundle;
let sh: BusyboxShell;
let opened: OpenedPlan;

beforeAll(async () => {
  shared = await mkdtemp(join(tmpdir(), 'airbundle-stream-resume-'));
  fx = await buildModelBundle(shared);
  sh = await busyboxShell();
  opened = await openMaterializePlan(fx.bundle, { model: 'tiny', layout: 'plain' });
});

afterAll(async () => {
  await opened?.close();
  await rm(shared, { recursive: true, force: true });
  await rm(sh.bin, { recursive: true, force: true });
});

async function collect(stream: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of stream) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

interface FillResult {
  send: StreamPlan;
  code: number;
  stderr: string;
  tar: Buffer;
}

/**
 * fill does what deploy does for a stream volume, with busybox standing in for the loader pod: run the probe,
 * plan what to send, and run the loader with the tar on stdin, cut at `cut(tar)` bytes when given.
 */
async function fill(plan: MaterializePlan, dest: string, options: { cut?: (tar: Buffer) => number; script?: string } = {}): Promise<FillResult> {
  const loader = streamLoader(plan);
  const feed = loader.feed!;
  const probe = await sh.run(['-c', feed.probe, 'sh', dest, loader.done.trim()]);
  expect(probe.code, probe.stderr).toBe(0);
  const send = await feed.plan(probe.stdout);
  if (send.complete) return { send, code: 0, stderr: '', tar: Buffer.alloc(0) };
  let tar = await collect(feed.open(send));
  if (options.cut !== undefined) tar = tar.subarray(0, options.cut(tar));
  const r = await sh.run(['-c', options.script ?? loader.script, 'sh', dest], { stdin: Readable.from([tar]) });
  return { send, code: r.code, stderr: r.stderr, tar };
}

/** viaLibrary writes the same plan with writePlan, for comparison. */
async function viaLibrary(plan: MaterializePlan): Promise<Map<string, Buffer | 'symlink'>> {
  const to = join(await tempDir(), 'lib');
  await writePlan(plan, to);
  return readTree(to);
}

const hexOf = (f: PlannedFile): string => digestHex(f.digest);
const fileAt = (plan: MaterializePlan, path: string): PlannedFile => plan.files.find((f) => f.path === path)!;
const sentPaths = (send: StreamPlan): string[] => send.sends.map((s) => s.file.path);

/** cutInside cuts a tar `into` bytes into the data of a content's entry. */
function cutInside(file: PlannedFile, into: number): (tar: Buffer) => number {
  return (tar) => {
    const e = tarEntries(tar).find((x) => x.name === hexOf(file));
    if (e === undefined) throw new Error(`${file.path} is not in the stream`);
    return e.data + into;
  };
}

describe('stream transport: a cut stream resumes', () => {
  it('sends only what a cut stream did not leave, resumes the cut file from where it stopped, and ends like materialize', async () => {
    const plan = opened.plan;
    const dest = join(await tempDir(), 'pvc');
    const big = fileAt(plan, 'model.safetensors');
    const first = await fill(plan, dest, { cut: cutInside(big, 1_234_567) });
    expect(first.code).not.toBe(0);
    expect(first.stderr).toContain('the stream was cut');
    expect(await readdir(dest)).toEqual([STAGING_DIR]); // nothing in place, no .done

    // Contents before the cut are staged whole, the cut one in part; the rest was never sent.
    const staged = await readdir(join(dest, STAGING_DIR));
    for (const f of plan.files.filter((x) => x.path < big.path)) expect(staged).toContain(hexOf(f));

    const second = await fill(plan, dest);
    expect(second.code, second.stderr).toBe(0);
    expect(second.send.staged.map((f) => f.path).sort()).toEqual(plan.files.filter((x) => x.path < big.path).map((f) => f.path));
    expect(sentPaths(second.send)).toEqual(plan.files.filter((x) => x.path >= big.path).map((f) => f.path));
    const resumed = second.send.sends.find((s) => s.file === big)!;
    expect(resumed.offset).toBeGreaterThan(0);
    expect(resumed.offset).toBeLessThanOrEqual(1_234_567);
    expect(second.send.bytes).toBe(big.size - resumed.offset + plan.files.filter((x) => x.path > big.path).reduce((n, f) => n + f.size, 0));
    // The tar carries the tail of the cut file only, and nothing that was staged.
    const names = tarEntries(second.tar).map((e) => e.name);
    expect(names).toContain(`${hexOf(big)}.${resumed.offset}`);
    expect(names).not.toContain(hexOf(big));
    for (const f of second.send.staged) expect(names).not.toContain(hexOf(f));

    const got = await readTree(dest);
    expect(treeDifference(got, await viaLibrary(plan))).toBeUndefined();
    expect(got.get(DONE_FILE)!.toString()).toBe(plan.done.toString());

    const third = await fill(plan, dest);
    expect(third.send.complete).toBe(true);
    expect(third.tar.length).toBe(0);
  });

  it('a stream cut between two files resumes with the next file', async () => {
    const plan = opened.plan;
    const dest = join(await tempDir(), 'pvc');
    const big = fileAt(plan, 'model.safetensors');
    const first = await fill(plan, dest, { cut: cutInside(big, -512) }); // right before its header
    expect(first.code).not.toBe(0);
    expect(first.stderr).toMatch(/missing content|checksum/);
    const second = await fill(plan, dest);
    expect(second.code, second.stderr).toBe(0);
    expect(sentPaths(second.send)).toEqual(plan.files.filter((x) => x.path >= big.path).map((f) => f.path));
    expect(second.send.sends.every((s) => s.offset === 0)).toBe(true);
    expect(treeDifference(await readTree(dest), await viaLibrary(plan))).toBeUndefined();
  });

  it('a damaged staged content is found and sent again whole, and so is a cut file whose start is wrong', async () => {
    const plan = opened.plan;
    const dest = join(await tempDir(), 'pvc');
    const big = fileAt(plan, 'model.safetensors');
    const config = fileAt(plan, 'config.json');
    const vocab = fileAt(plan, 'extra/vocab.txt');
    expect((await fill(plan, dest, { cut: cutInside(big, 2_000_000) })).code).not.toBe(0);
    for (const f of [config, big]) {
      const path = join(dest, STAGING_DIR, hexOf(f));
      const bytes = await readFile(path);
      bytes[0] ^= 0xff;
      await writeFile(path, bytes);
    }
    const second = await fill(plan, dest);
    expect(second.code, second.stderr).toBe(0);
    expect(second.send.staged).toEqual([vocab]);
    expect(sentPaths(second.send).sort()).toEqual([config.path, big.path, 'tokenizer.json'].sort());
    expect(second.send.sends.every((s) => s.offset === 0)).toBe(true);
    expect(treeDifference(await readTree(dest), await viaLibrary(plan))).toBeUndefined();
  });

  it('a staged content damaged after the probe checked it fails the loader before anything is moved', async () => {
    const plan = opened.plan;
    const dest = join(await tempDir(), 'pvc');
    const big = fileAt(plan, 'model.safetensors');
    const config = fileAt(plan, 'config.json');
    expect((await fill(plan, dest, { cut: cutInside(big, 100_000) })).code).not.toBe(0);
    // Damage config.json's staged content between the probe and the loader.
    const loader = streamLoader(plan);
    const probe = await sh.run(['-c', loader.feed!.probe, 'sh', dest, loader.done.trim()]);
    const send = await loader.feed!.plan(probe.stdout);
    expect(send.staged).toContain(config);
    await writeFile(join(dest, STAGING_DIR, hexOf(config)), 'tampered\n');
    const r = await sh.run(['-c', loader.script, 'sh', dest], { stdin: loader.feed!.open(send) });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('checksum mismatch');
    expect(await readdir(dest)).toEqual([STAGING_DIR]);
    // The next run sends it again.
    const again = await fill(plan, dest);
    expect(again.code, again.stderr).toBe(0);
    expect(sentPaths(again.send)).toEqual([config.path]);
    expect(treeDifference(await readTree(dest), await viaLibrary(plan))).toBeUndefined();
  });
});

describe('stream transport: the same content at two paths', () => {
  const same = pseudoRandom(300_000, 7);
  let plan: MaterializePlan;
  beforeAll(async () => {
    const m = modelPackInMemory({ 'a/weights.bin': same, 'b/weights.bin': same, 'c.txt': Buffer.from('other\n') }, { type: 'file', uri: '/m' }, 'dup');
    plan = await planMaterialization(m.storage, m.artifact, 'plain');
  });

  it('sends it once, copies it to the earlier path and moves it to the last', async () => {
    expect(streamPlaces(plan.files)).toBe(
      plan.files.map((f) => `${f.path === 'a/weights.bin' ? 'cp' : 'mv'} ${hexOf(f)} ${f.path}\n`).join(''),
    );
    const dest = join(await tempDir(), 'pvc');
    const r = await fill(plan, dest);
    expect(r.code, r.stderr).toBe(0);
    expect(sentPaths(r.send)).toEqual(['a/weights.bin', 'c.txt']);
    expect(tarEntries(r.tar).filter((e) => e.name === digestHex(sha256Digest(same)))).toHaveLength(1);
    const got = await readTree(dest);
    expect(treeDifference(got, await viaLibrary(plan))).toBeUndefined();
    for (const path of ['a/weights.bin', 'b/weights.bin']) expect(same.equals(got.get(path) as Buffer), path).toBe(true);
  });

  for (const after of [1, 2]) {
    it(`a loader killed after placing ${after} file(s) is finished by the next run without sending anything again`, async () => {
      const dest = join(await tempDir(), 'pvc');
      const loader = streamLoader(plan);
      // The loader dies (SIGKILL, no clean-up) right after its n-th file is in place.
      const dying = loader.script.replace('  n=$((n + 1))\n', `  n=$((n + 1))\n  [ "$n" -lt ${after} ] || kill -9 $$\n`);
      expect(dying).not.toBe(loader.script);
      const first = await fill(plan, dest, { script: dying });
      expect(first.code).not.toBe(0);
      await expect(access(join(dest, DONE_FILE))).rejects.toThrow();

      const second = await fill(plan, dest);
      expect(second.code, second.stderr).toBe(0);
      expect(second.send.sends).toEqual([]);
      expect(second.send.bytes).toBe(0);
      expect(second.send.staged.map((f) => f.path)).toEqual(plan.files.map((f) => f.path));
      expect(treeDifference(await readTree(dest), await viaLibrary(plan))).toBeUndefined();
    });
  }
});

describe('stream transport: what the probe and the loader refuse or clear', () => {
  it('a complete volume is left alone: nothing is sent, and staging left by a run killed after .done is cleared', async () => {
    const plan = opened.plan;
    const dest = join(await tempDir(), 'pvc');
    expect((await fill(plan, dest)).code).toBe(0);
    await mkdir(join(dest, STAGING_DIR));
    await writeFile(join(dest, STAGING_DIR, 'PLACES'), 'mv 00 x\n');
    const again = await fill(plan, dest);
    expect(again.send.complete).toBe(true);
    expect(treeDifference(await readTree(dest), await viaLibrary(plan))).toBeUndefined();
  });

  it('a .done of another plan is not trusted: everything is sent and the files are replaced', async () => {
    const plan = opened.plan;
    const dest = join(await tempDir(), 'pvc');
    await mkdir(dest, { recursive: true });
    await writeFile(join(dest, DONE_FILE), 'sha256:0000\n');
    await writeFile(join(dest, 'model.safetensors'), 'old\n');
    const r = await fill(plan, dest);
    expect(r.code, r.stderr).toBe(0);
    expect(sentPaths(r.send)).toEqual(plan.files.map((f) => f.path));
    expect(treeDifference(await readTree(dest), await viaLibrary(plan))).toBeUndefined();
  });

  it('refuses an unsafe path before anything is moved into place', async () => {
    const good = opened.plan;
    const bytes = Buffer.from('escape\n');
    const evil: PlannedFile = { path: '../escaped.txt', digest: sha256Digest(bytes), size: bytes.length, source: { kind: 'inline', bytes } };
    const files = [...good.files, evil];
    const plan: MaterializePlan = { ...good, files, ...markerFiles({ artifact: good.artifact, layout: good.layout, modelPath: good.modelPath, modelName: good.modelName, files }) };
    const root = await tempDir();
    const dest = join(root, 'pvc');
    const r = await fill(plan, dest);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('refusing unsafe path ../escaped.txt');
    expect(await readdir(dest)).toEqual([STAGING_DIR]);
    expect(await readdir(root)).toEqual(['pvc']);
  });

  it('readStagingReport: a content restored from its place wins over the partial line before it', () => {
    const a = 'a'.repeat(64);
    const b = 'b'.repeat(64);
    const r = readStagingReport(`staged ${a}\npartial ${b} 12 ${'c'.repeat(64)}\nnoise\nstaged ${b}\n`);
    expect(r.complete).toBe(false);
    expect([...r.staged]).toEqual([a, b]);
    expect(r.partial.size).toBe(0);
    expect(readStagingReport('complete\n').complete).toBe(true);
  });
});
