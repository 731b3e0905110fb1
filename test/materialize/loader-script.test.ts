import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFileTarStream } from '../../src/materialize/file-tar-stream.js';
import { loaderScript } from '../../src/materialize/loader-script.js';
import { DONE_FILE } from '../../src/materialize/marker-files.js';
import type { MaterializeLayout, MaterializePlan } from '../../src/materialize/materialize-plan.js';
import { openMaterializePlan } from '../../src/materialize/materialize-model.js';
import { planMaterialization } from '../../src/materialize/plan-materialization.js';
import { streamLoader } from '../../src/materialize/pvc-loader.js';
import { fullStreamPlan } from '../../src/materialize/stream-plan.js';
import { writePlan } from '../../src/materialize/write-plan.js';
import { busyboxShell, type BusyboxShell } from '../support/busybox.js';
import { readTree, treeDifference } from '../support/file-tree.js';
import { buildModelBundle, ollamaInMemory, type ModelBundle } from '../support/model-fixtures.js';
import { useTempDirs } from '../support/temp-dir.js';

const tempDir = useTempDirs();
let shared: string;
let fx: ModelBundle;
let sh: BusyboxShell;

beforeAll(async () => {
  shared = await mkdtemp(join(tmpdir(), 'airbundle-loader-'));
  fx = await buildModelBundle(shared);
  sh = await busyboxShell();
});

afterAll(async () => {
  await rm(shared, { recursive: true, force: true });
  await rm(sh.bin, { recursive: true, force: true });
});

async function collect(stream: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of stream) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

/** load runs the loader script with busybox, the tar on stdin, into a fresh directory. */
async function load(stdin: Readable): Promise<{ dest: string; code: number; stderr: string }> {
  const dest = join(await tempDir(), 'pvc');
  const r = await sh.run(['-c', loaderScript(), 'sh', dest], { stdin });
  return { dest, code: r.code, stderr: r.stderr };
}

/** viaLibrary writes the same plan with writePlan, for comparison. */
async function viaLibrary(plan: MaterializePlan): Promise<string> {
  const to = join(await tempDir(), 'lib');
  await writePlan(plan, to);
  return to;
}

describe('stream transport: createFileTarStream + loaderScript under busybox', () => {
  for (const layout of ['plain', 'hf-cache'] as MaterializeLayout[]) {
    it(`leaves the same files as materialize, byte for byte (${layout})`, async () => {
      const opened = await openMaterializePlan(fx.bundle, { model: 'tiny', layout });
      try {
        const loader = streamLoader(opened.plan);
        const { dest, code, stderr } = await load(loader.feed!.open(fullStreamPlan(opened.plan)));
        expect(code, stderr).toBe(0);
        const expected = await readTree(await viaLibrary(opened.plan));
        const got = await readTree(dest);
        expect(treeDifference(got, expected)).toBeUndefined();
        expect(got.get(DONE_FILE)!.toString()).toBe(loader.done);
        expect([...got.keys()].some((k) => k.includes('airbundle-staging') || k.includes('partial'))).toBe(false);
      } finally {
        await opened.close();
      }
    });
  }

  it('lays out an Ollama model the same way too', async () => {
    const m = ollamaInMemory();
    const plan = await planMaterialization(m.storage, m.artifact, 'ollama');
    const { dest, code, stderr } = await load(createFileTarStream(plan));
    expect(code, stderr).toBe(0);
    expect(treeDifference(await readTree(dest), await readTree(await viaLibrary(plan)))).toBeUndefined();
  });

  it('the tar is reproducible: same plan, same bytes', async () => {
    const opened = await openMaterializePlan(fx.bundle, { model: 'tiny', layout: 'plain' });
    try {
      const a = await collect(createFileTarStream(opened.plan));
      const b = await collect(createFileTarStream(opened.plan));
      expect(a.equals(b)).toBe(true);
    } finally {
      await opened.close();
    }
  });

  it('a damaged stream fails sha256sum -c: nothing is moved into place and there is no .done', async () => {
    const opened = await openMaterializePlan(fx.bundle, { model: 'tiny', layout: 'plain' });
    let tar: Buffer;
    try {
      tar = await collect(createFileTarStream(opened.plan));
    } finally {
      await opened.close();
    }
    const at = tar.indexOf(fx.files['model.safetensors']!.subarray(0, 64)) + 100_000;
    tar[at] ^= 0xff;
    const { dest, code, stderr } = await load(Readable.from([tar]));
    expect(code).not.toBe(0);
    expect(stderr).toContain('checksum mismatch');
    expect(await readdir(dest)).toEqual(['.airbundle-staging']); // the next run's probe drops the damaged content
  });

  it('a stream cut short fails without touching the target', async () => {
    const opened = await openMaterializePlan(fx.bundle, { model: 'tiny', layout: 'plain' });
    let tar: Buffer;
    try {
      tar = await collect(createFileTarStream(opened.plan));
    } finally {
      await opened.close();
    }
    const { dest, code } = await load(Readable.from([tar.subarray(0, Math.floor(tar.length / 2))]));
    expect(code).not.toBe(0);
    expect((await readdir(dest)).filter((n) => n !== '.airbundle-staging')).toEqual([]);
  });
});
