import { lstat, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Descriptor } from '../../src/content/descriptor.js';
import type { Fetcher } from '../../src/content/storage.js';
import { DONE_FILE, JOURNAL_FILE, MATERIALIZED_FILE } from '../../src/materialize/marker-files.js';
import { materializeModel } from '../../src/materialize/materialize-model.js';
import { planMaterialization } from '../../src/materialize/plan-materialization.js';
import { writePlan } from '../../src/materialize/write-plan.js';
import type { ProgressEvent } from '../../src/progress/events.js';
import { expectCode } from '../support/matchers.js';
import { buildModelBundle, modelPackInMemory, type ModelBundle } from '../support/model-fixtures.js';
import { useTempDirs } from '../support/temp-dir.js';

const tempDir = useTempDirs();
let shared: string;
let fx: ModelBundle;
const BIG = 'model.safetensors';
const PARTIAL = `.${BIG}.airbundle-partial`;

beforeAll(async () => {
  shared = await mkdtemp(join(tmpdir(), 'airbundle-resume-'));
  // An uncompressed tar streams blobs in 1 MiB pieces, so a run can be stopped inside the big file.
  fx = await buildModelBundle(shared, 'b.tar');
});

afterAll(async () => {
  await rm(shared, { recursive: true, force: true });
});

/** run materializes the fixture model (plain), recording events; `abortWhen` can cancel it half way. */
async function run(to: string, abortWhen?: (e: ProgressEvent) => boolean): Promise<{ result: Awaited<ReturnType<typeof materializeModel>>; events: ProgressEvent[] }> {
  const events: ProgressEvent[] = [];
  const controller = new AbortController();
  const result = await materializeModel(fx.bundle, {
    model: 'tiny',
    layout: 'plain',
    to,
    concurrency: 1,
    signal: controller.signal,
    onEvent: (e) => {
      events.push(e);
      if (abortWhen?.(e) === true) controller.abort();
    },
  });
  return { result, events };
}

/** interrupted cancels a run once part of the big file is on disk: two files done, one partial. */
async function interrupted(to: string): Promise<void> {
  await expectCode(
    run(to, (e) => e.type === 'bytes' && e.item === BIG && e.done > 0 && e.done < fx.files[BIG]!.length),
    'ABORTED',
  );
}

const verified = (events: ProgressEvent[]): string[] => events.filter((e) => e.type === 'item-end' && e.phase === 'verify').map((e) => (e as { item: string }).item).sort();
const total = (paths: string[]): number => paths.reduce((n, p) => n + fx.files[p]!.length, 0);

describe('materializeModel resume', () => {
  it('an interrupted run resumes: journalled files are kept without re-hashing, the partial file is continued; a third run writes nothing', async () => {
    const to = join(await tempDir(), 'pvc');
    await interrupted(to);
    expect((await readdir(to)).sort()).toEqual([JOURNAL_FILE, 'config.json', 'extra', PARTIAL].sort());
    const partialSize = (await stat(join(to, PARTIAL))).size;
    expect(partialSize).toBeGreaterThan(0);
    expect(partialSize).toBeLessThan(fx.files[BIG]!.length);

    const second = await run(to);
    expect(second.result).toMatchObject({ written: 2, skipped: 2 });
    expect(second.result.bytes).toBe(total([BIG, 'tokenizer.json']) - partialSize);
    expect(verified(second.events)).toEqual([]); // journalled: no re-hash
    for (const [path, bytes] of Object.entries(fx.files)) expect((await readFile(join(to, path))).equals(bytes), path).toBe(true);
    expect((await readdir(to)).sort()).toEqual([DONE_FILE, MATERIALIZED_FILE, 'config.json', 'extra', BIG, 'tokenizer.json'].sort());

    const third = await run(to);
    expect(third.result).toMatchObject({ written: 0, skipped: 4, bytes: 0 });
  });

  it('without a journal, files already present are hashed once and kept; a damaged one of the right size is written again', async () => {
    const to = join(await tempDir(), 'pvc');
    await run(to);
    await rm(join(to, DONE_FILE));
    const damaged = Buffer.from(fx.files[BIG]!);
    damaged[12345] ^= 0xff;
    await writeFile(join(to, BIG), damaged);
    const keptMtime = (await lstat(join(to, 'config.json'))).mtimeMs;

    const again = await run(to);
    expect(again.result).toMatchObject({ written: 1, skipped: 3 });
    expect(verified(again.events)).toEqual(['config.json', 'extra/vocab.txt', 'tokenizer.json']);
    expect(again.events.some((e) => e.type === 'warn' && e.message.includes(BIG))).toBe(true);
    expect((await readFile(join(to, BIG))).equals(fx.files[BIG]!)).toBe(true);
    expect((await lstat(join(to, 'config.json'))).mtimeMs).toBe(keptMtime);
  });

  it('a .done from another plan is not trusted: every file is verified again, even journalled ones', async () => {
    const to = join(await tempDir(), 'pvc');
    await interrupted(to);
    await writeFile(join(to, DONE_FILE), 'sha256:0000\n');
    const again = await run(to);
    expect(verified(again.events)).toEqual(['config.json', 'extra/vocab.txt']);
    expect(again.result).toMatchObject({ written: 2, skipped: 2 });

    await writeFile(join(to, DONE_FILE), 'stale\n');
    const third = await run(to);
    expect(verified(third.events)).toEqual(Object.keys(fx.files).sort());
    expect(third.result).toMatchObject({ written: 0, skipped: 4 });
    expect((await readFile(join(to, DONE_FILE), 'utf8')).startsWith('sha256:')).toBe(true);
  });

  it('with a matching .done, a missing or truncated file is written again and the others are kept on their size', async () => {
    const to = join(await tempDir(), 'pvc');
    await run(to);
    await rm(join(to, 'tokenizer.json'));
    await writeFile(join(to, 'config.json'), 'short');
    const again = await run(to);
    expect(again.result).toMatchObject({ written: 2, skipped: 2 });
    expect(verified(again.events)).toEqual([]);
    expect((await readFile(join(to, 'config.json'))).equals(fx.files['config.json']!)).toBe(true);
  });

  it('a partial file that does not match is discarded and the file written from the start', async () => {
    const to = join(await tempDir(), 'pvc');
    await interrupted(to);
    const partial = await readFile(join(to, PARTIAL));
    partial[0] ^= 0xff;
    await writeFile(join(to, PARTIAL), partial);
    const again = await run(to);
    expect(again.result.written).toBe(2);
    expect(partial.length).toBeGreaterThan(0);
    expect(again.result.bytes).toBe(total([BIG, 'tokenizer.json'])); // the whole file again, not the rest of the partial
    expect((await readFile(join(to, BIG))).equals(fx.files[BIG]!)).toBe(true);
  });

  it('content that does not match its digest never gets its final name', async () => {
    const m = modelPackInMemory({ 'a.bin': Buffer.from('the right bytes') }, { type: 'file', uri: 'x' });
    const plan = await planMaterialization(m.storage, m.artifact, 'plain');
    const lying: Fetcher = {
      fetch: async (desc: Descriptor) => (desc.size === 15 ? Readable.from([Buffer.from('the wrong bytes')]) : m.storage.fetch(desc)),
    };
    const to = join(await tempDir(), 'pvc');
    await expectCode(writePlan({ ...plan, storage: lying }, to), 'DIGEST_MISMATCH');
    expect((await readdir(to)).filter((n) => n !== JOURNAL_FILE)).toEqual([]);
  });
});
