/**
 * applyToCluster filling a `transport: stream` volume through a loader pod of the Kubernetes API emulator (its exec
 * runs the probe and the loader with busybox in a directory standing in for the PVC): an interrupted fill is
 * resumed, and the progress events count only the bytes that are really sent.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { digestHex } from '../../src/content/digest.js';
import { applyToCluster } from '../../src/deploy/cluster-deploy.js';
import { openMaterializePlan, type OpenedPlan } from '../../src/materialize/materialize-model.js';
import { streamLoader } from '../../src/materialize/pvc-loader.js';
import { fullStreamPlan } from '../../src/materialize/stream-plan.js';
import { writePlan } from '../../src/materialize/write-plan.js';
import type { ProgressEvent } from '../../src/progress/events.js';
import { aNamespace, useEmulatedCluster } from '../k8s/fixture.js';
import { readTree, treeDifference } from '../support/file-tree.js';
import { expectCode } from '../support/matchers.js';
import { buildModelBundle } from '../support/model-fixtures.js';
import { tarEntries } from '../support/tar-entries.js';
import { useTempDirs } from '../support/temp-dir.js';

const MiB = 1024 * 1024;

const emulated = useEmulatedCluster();
const tempDir = useTempDirs();
let shared: string;
let opened: OpenedPlan;

beforeAll(async () => {
  shared = await mkdtemp(join(tmpdir(), 'airbundle-stream-volume-'));
  const fx = await buildModelBundle(shared);
  opened = await openMaterializePlan(fx.bundle, { model: 'tiny', layout: 'plain' });
});

afterAll(async () => {
  await opened?.close();
  await rm(shared, { recursive: true, force: true });
});

/** lastBytes keeps, per item, the last `bytes` event of a phase. */
function lastBytes(events: ProgressEvent[], phase: string): Map<string, { done: number; total: number }> {
  const out = new Map<string, { done: number; total: number }>();
  for (const e of events) if (e.type === 'bytes' && e.phase === phase) out.set(e.item, { done: e.done, total: e.total });
  return out;
}

describe('applyToCluster with a stream volume', () => {
  it('resumes an interrupted fill, reports only the bytes it sends, and sends nothing to a complete volume', async () => {
    const plan = opened.plan;
    const pvc = await tempDir();
    const env = await emulated({ exec: { mounts: { '/data': pvc } } });
    const streams = [{ claim: 'tiny-cache', loader: streamLoader(plan), image: 'busybox:1.37' }];
    const big = plan.files.find((f) => f.path === 'model.safetensors')!;
    const run = (events: ProgressEvent[], signal?: AbortSignal): Promise<unknown> =>
      applyToCluster(env.cluster, [aNamespace('ai')], { bundle: 'b', namespace: 'ai', streams, onEvent: (e) => void events.push(e), ...(signal !== undefined ? { signal } : {}) });

    // The connection drops once the pod has received the first mebibyte of the big file.
    const full: Buffer[] = [];
    for await (const c of streams[0]!.loader.feed!.open(fullStreamPlan(plan))) full.push(c as Buffer);
    const entry = tarEntries(Buffer.concat(full)).find((e) => e.name === digestHex(big.digest))!;
    env.running.exec.cutStdinAfter = entry.data + MiB;
    await expectCode(run([]), 'K8S_EXEC');
    delete env.running.exec.cutStdinAfter;
    await new Promise((r) => setTimeout(r, 100)); // the emulator stops the exec; tar takes what reached it

    const events: ProgressEvent[] = [];
    await run(events);
    const info = events.filter((e) => e.type === 'info').map((e) => (e.type === 'info' ? e.message : ''));
    expect(info.join('\n')).toMatch(/sending 2 files, .*; kept from an interrupted run: 2 files whole, 1 in part/);
    const start = events.find((e) => e.type === 'phase-start' && e.phase === 'stream');
    const skipped = events.filter((e) => e.type === 'item-end' && e.phase === 'stream' && e.skipped === true).map((e) => (e.type === 'item-end' ? e.item : ''));
    expect(skipped.sort()).toEqual(['config.json', 'extra/vocab.txt']);
    const bytes = lastBytes(events, 'stream');
    expect([...bytes.keys()].sort()).toEqual(['model.safetensors', 'tokenizer.json']);
    const tail = bytes.get('model.safetensors')!;
    expect(tail.done).toBe(tail.total);
    expect(tail.total).toBeGreaterThanOrEqual(big.size - MiB); // tar may leave its last partial block unwritten
    expect(tail.total).toBeLessThan(big.size - MiB + 64 * 1024);
    expect(bytes.get('tokenizer.json')).toEqual({ done: sizeOf(plan, 'tokenizer.json'), total: sizeOf(plan, 'tokenizer.json') });
    expect(start?.type === 'phase-start' ? start.total : -1).toBe(tail.total + sizeOf(plan, 'tokenizer.json'));
    expect(events.some((e) => e.type === 'phase-end' && e.phase === 'stream')).toBe(true);

    const lib = join(await tempDir(), 'lib');
    await writePlan(plan, lib);
    expect(treeDifference(await readTree(pvc), await readTree(lib))).toBeUndefined();

    const again: ProgressEvent[] = [];
    await run(again);
    expect(again.some((e) => e.type === 'info' && e.message.includes('already holds the model; nothing to send'))).toBe(true);
    expect(again.some((e) => e.phase === 'stream')).toBe(false);
  });
});

/** sizeOf is the size of a file of the plan. */
function sizeOf(plan: OpenedPlan['plan'], path: string): number {
  return plan.files.find((f) => f.path === path)!.size;
}
