/**
 * Hostile compressed archives and broken volume sets: a seekable .tar.zst whose seek table lies about what a frame
 * holds (a decompression bomb), or claims frames too large to hold; volumes truncated, reordered or missing.
 */
import { mkdtemp, readFile, rename, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compress } from 'zstd-napi';
import { openFileReader } from '../../src/archive/file-reader.js';
import { encodeSeekTable } from '../../src/archive/seekable-zstd-format.js';
import { openSeekableZstdReader, type FrameInfo } from '../../src/archive/seekable-zstd-reader.js';
import { build } from '../../src/build.js';
import { verifyBundle } from '../../src/verify.js';
import { startRegistry, type RunningRegistry } from '../support/registry.js';
import { buildFixture, dataOffsets, encodeTar, expectRefusedEverywhere, rleBomb, seekableZstd, type FixtureBundle, type Targets } from './craft.js';

const GiB = 1024 * 1024 * 1024;
let work: string;
let reg: RunningRegistry;
let fx: FixtureBundle;
let targets: Targets;
/** The fixture as a seekable .tar.zst of 256 KiB frames, and its frames. */
let zst: Buffer;
let frames: FrameInfo[];

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'airbundle-hostile-zstd-'));
  reg = await startRegistry();
  fx = await buildFixture(work);
  targets = { work, registry: reg.host };
  zst = await seekableZstd(encodeTar(fx.members));
  const path = join(work, 'plain.tar.zst');
  await writeFile(path, zst);
  const reader = await openSeekableZstdReader(await openFileReader(path));
  frames = reader.frames;
  await reader.close();
});

afterAll(async () => {
  await reg?.stop();
  await rm(work, { recursive: true, force: true });
});

/**
 * withFrame rewrites the archive with frame `k`'s compressed bytes replaced by `bytes`; the seek table keeps
 * saying the frame decompresses to its old size (only its compressed size follows, so the table still adds up).
 */
async function withFrame(k: number, bytes: Buffer, name: string, decompressedSize?: number): Promise<string> {
  const pieces = frames.map((f) => (f.index === k ? bytes : zst.subarray(f.compressedOffset, f.compressedOffset + f.compressedSize)));
  const table = frames.map((f) => ({
    compressedSize: f.index === k ? bytes.length : f.compressedSize,
    decompressedSize: f.index === k ? (decompressedSize ?? f.decompressedSize) : f.decompressedSize,
  }));
  const path = join(work, name);
  await writeFile(path, Buffer.concat([...pieces, encodeSeekTable(table)]));
  return path;
}

/** bodyFrame is a frame wholly inside the model weights' body. */
function bodyFrame(): FrameInfo {
  const i = fx.members.findIndex((m) => m.body.length > 1024 * 1024);
  const start = dataOffsets(fx.members)[i]!;
  const end = start + fx.members[i]!.body.length;
  const f = frames.find((x) => x.decompressedOffset >= start && x.decompressedOffset + x.decompressedSize <= end);
  if (f === undefined) throw new Error('no frame inside the weights');
  return f;
}

describe('a seekable .tar.zst whose seek table lies', () => {
  it('a frame in a blob body that expands to 8 GiB: refused as ARCHIVE_CORRUPT naming the frame, memory stays flat', async () => {
    const k = bodyFrame().index;
    const bomb = await withFrame(k, rleBomb(8 * GiB), 'bomb-body.tar.zst');
    expect((await readFile(bomb)).length).toBeLessThan(zst.length + 512 * 1024);

    // In-process first: the peak RSS of this worker must not move by more than a few frames' worth.
    const before = process.resourceUsage().maxRSS;
    const started = Date.now();
    const report = await verifyBundle(bomb);
    const grewMiB = (process.resourceUsage().maxRSS - before) / 1024;
    expect(grewMiB, `peak RSS grew by ${Math.round(grewMiB)} MiB`).toBeLessThan(256);
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(report.valid).toBe(false);
    expect(report.problems.map((p) => p.code)).toEqual(['ARCHIVE_CORRUPT']);
    expect(report.problems[0]!.message).toMatch(new RegExp(`zstd frame ${k} .*more than the \\d+ bytes the seek table says`));

    // Then every command: the damage is found while bytes stream, after other blobs may have landed verified.
    await expectRefusedEverywhere(bomb, { exit: 1, code: 'ARCHIVE_CORRUPT', names: new RegExp(`zstd frame ${k}`) }, { ...targets, modelFiles: fx.modelFiles }, [
      'verify',
      'export',
      'materialize',
      'push',
    ]);
  });

  it('a bomb in the frame holding the tar headers: refused at open (ARCHIVE_CORRUPT), nothing created', async () => {
    const bomb = await withFrame(0, rleBomb(8 * GiB), 'bomb-head.tar.zst');
    await expectRefusedEverywhere(bomb, { exit: 1, code: 'ARCHIVE_CORRUPT', names: /zstd frame 0 .*decompression bomb/ }, targets);
  });

  it('a frame that holds less than the table says (ARCHIVE_CORRUPT)', async () => {
    const f = frames[0]!;
    const short = compress(Buffer.alloc(f.decompressedSize - 1000));
    await expectRefusedEverywhere(await withFrame(0, short, 'short.tar.zst'), { exit: 1, code: 'ARCHIVE_CORRUPT', names: /zstd frame 0 .*holds \d+ bytes, the seek table says/ }, targets);
  });

  it('a seek table claiming a 4 GiB frame is refused before anything is allocated (BUNDLE_UNREADABLE, exit 2)', async () => {
    const k = bodyFrame().index;
    const raw = zst.subarray(frames[k]!.compressedOffset, frames[k]!.compressedOffset + frames[k]!.compressedSize);
    const path = await withFrame(k, raw, 'huge-frame.tar.zst', 0xffffffff);
    await expectRefusedEverywhere(path, { exit: 2, code: 'BUNDLE_UNREADABLE', names: new RegExp(`frame ${k} claims 4294967295 bytes`) }, targets);
  });
});

describe('volumes', () => {
  let n = 0;
  /** volumes builds the fixture as .tar.zst volumes of 512 KiB in a fresh directory and returns the base path. */
  async function volumes(): Promise<string> {
    n += 1;
    const base = join(work, `vol-${n}`, 'b.tar.zst');
    await build({ specPath: fx.spec, out: base, volumeSize: 512 * 1024, cacheDir: join(work, 'cache'), env: { SOURCE_DATE_EPOCH: '946684800' } });
    return base;
  }

  it('a truncated volume is named (VOLUME_MISMATCH), with the parts list', async () => {
    const base = await volumes();
    await truncate(`${base}.001`, 100_000);
    await expectRefusedEverywhere(`${base}.000`, { exit: 1, code: 'VOLUME_MISMATCH', names: /volume b\.tar\.zst\.001 \(2 of \d\) has 100000 bytes.*truncated/ }, targets);
  });

  it('a truncated last volume without its parts list: the seek table is gone (BUNDLE_UNREADABLE, exit 2)', async () => {
    const base = await volumes();
    await rm(`${base}.parts.json`);
    const last = `${base}.003`;
    await truncate(last, 1000);
    await expectRefusedEverywhere(`${base}.000`, { exit: 2, code: 'BUNDLE_UNREADABLE', names: /no seek table at its end.*cut short \(check the last volume\)/ }, targets);
  });

  it('two volumes swapped are named (VOLUME_ORDER), with the parts list', async () => {
    const base = await volumes();
    await rename(`${base}.001`, `${base}.tmp`);
    await rename(`${base}.002`, `${base}.001`);
    await rename(`${base}.tmp`, `${base}.002`);
    await expectRefusedEverywhere(`${base}.000`, { exit: 1, code: 'VOLUME_ORDER', names: /b\.tar\.zst\.001 .*holds the content of volume b\.tar\.zst\.002/ }, targets);
  });

  it('two volumes swapped without the parts list: frames fail to decompress (ARCHIVE_CORRUPT), never bad bytes', async () => {
    const base = await volumes();
    await rm(`${base}.parts.json`);
    await rename(`${base}.001`, `${base}.tmp`);
    await rename(`${base}.002`, `${base}.001`);
    await rename(`${base}.tmp`, `${base}.002`);
    await expectRefusedEverywhere(`${base}.000`, { exit: 1, code: 'ARCHIVE_CORRUPT', names: /zstd frame \d+/ }, { ...targets, modelFiles: fx.modelFiles }, ['verify', 'export', 'materialize', 'push']);
  });

  it('a missing volume is named (VOLUME_MISSING, exit 2)', async () => {
    const base = await volumes();
    await rm(`${base}.002`);
    await expectRefusedEverywhere(`${base}.parts.json`, { exit: 2, code: 'VOLUME_MISSING', names: /volume b\.tar\.zst\.002 \(3 of \d\) is missing/ }, targets);
  });
});
