import { randomBytes } from 'node:crypto';
import { writeFile, readFile, rename, rm, truncate } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createWriteStream } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { openFileReader } from '../../src/archive/file-reader.js';
import { encodeParts, openVolumes } from '../../src/archive/parts.js';
import { openSeekableZstdReader, sniffFormat } from '../../src/archive/seekable-zstd-reader.js';
import { createSeekableZstdWriter } from '../../src/archive/seekable-zstd-writer.js';
import { walkTar } from '../../src/archive/tar-walker.js';
import { createTarStream, type TarEntrySource } from '../../src/archive/tar-writer.js';
import { createVolumeWriter } from '../../src/archive/volume-writer.js';
import { runTool } from '../support/cli.js';
import { expectCode } from '../support/matchers.js';
import { useTempDirs } from '../support/temp-dir.js';

const tempDir = useTempDirs();

async function readAll(r: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of r) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

function entries(files: Record<string, Buffer>): TarEntrySource[] {
  return Object.entries(files).map(([name, data]) => ({ name, size: data.length, open: async () => Readable.from([data]) }));
}

const files: Record<string, Buffer> = {
  'oci-layout': Buffer.from('{"imageLayoutVersion":"1.0.0"}'),
  'blobs/sha256/small': Buffer.from('hello\n'),
  'blobs/sha256/empty': Buffer.alloc(0),
  'blobs/sha256/big': randomBytes(9 * 1024 * 1024 + 333),
};

describe('tar writer and walker', () => {
  it('writes a tar GNU tar reads, and the walker finds every body without reading it', async () => {
    const dir = await tempDir();
    const path = join(dir, 'a.tar');
    await pipeline(createTarStream(entries(files)), createWriteStream(path));
    const listed = await runTool('tar', ['-tvf', path]);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(/2000-01-01/);
    expect(listed.stdout.split('\n').filter(Boolean)).toHaveLength(4);
    const reader = await openFileReader(path);
    const found = new Map<string, Buffer>();
    for await (const e of walkTar(reader)) found.set(e.name, await reader.read(e.dataOffset, e.size));
    await reader.close();
    expect([...found.keys()]).toEqual(Object.keys(files));
    for (const [name, data] of Object.entries(files)) expect(found.get(name)!.equals(data)).toBe(true);
  });

  it('is reproducible: the same entries give the same bytes', async () => {
    const a = await readAll(createTarStream(entries(files)));
    const b = await readAll(createTarStream(entries(files)));
    expect(a.equals(b)).toBe(true);
  });

  it('a truncated tar is reported, not misread', async () => {
    const dir = await tempDir();
    const path = join(dir, 'a.tar');
    await pipeline(createTarStream(entries(files)), createWriteStream(path));
    await truncate(path, 5 * 1024 * 1024);
    const reader = await openFileReader(path);
    await expectCode((async () => {
      for await (const _e of walkTar(reader)) void _e;
    })(), 'ARCHIVE_CORRUPT');
    await reader.close();
  });
});

describe('seekable zstd', () => {
  it('zstd -d reads it, and any range can be read by decompressing only its frames', async () => {
    const dir = await tempDir();
    const data = Buffer.concat([randomBytes(3 * 1024 * 1024), Buffer.alloc(5 * 1024 * 1024, 7), randomBytes(12345)]);
    const path = join(dir, 'x.zst');
    await pipeline(Readable.from([data]), createSeekableZstdWriter({ frameSize: 1024 * 1024 }), createWriteStream(path));
    const plain = await runTool('zstd', ['-d', '-q', '-f', path, '-o', join(dir, 'x')]);
    expect(plain.code).toBe(0);
    expect((await readFile(join(dir, 'x'))).equals(data)).toBe(true);

    const raw = await openFileReader(path);
    expect(await sniffFormat(raw)).toBe('zstd-seekable');
    const z = await openSeekableZstdReader(raw);
    expect(z.size).toBe(data.length);
    expect(z.frames.length).toBe(9);
    for (const [pos, len] of [[0, 10], [1024 * 1024 - 5, 10], [3 * 1024 * 1024 + 17, 2 * 1024 * 1024], [data.length - 100, 100]] as const) {
      expect((await z.read(pos, len)).equals(data.subarray(pos, pos + len))).toBe(true);
      expect((await readAll(z.stream(pos, len))).equals(data.subarray(pos, pos + len))).toBe(true);
    }
    expect(z.frameAt(2 * 1024 * 1024 + 1).index).toBe(2);
    await z.close();
  });

  it('ends frames at the cut points it is given', async () => {
    const data = randomBytes(3 * 1024 * 1024);
    const dir = await tempDir();
    const path = join(dir, 'x.zst');
    await pipeline(Readable.from([data]), createSeekableZstdWriter({ frameSize: 1024 * 1024, cutAt: [100, 1024 * 1024 + 5000] }), createWriteStream(path));
    const z = await openSeekableZstdReader(await openFileReader(path));
    expect(z.frames.map((f) => f.decompressedOffset)).toEqual([0, 100, 1024 * 1024 + 100, 1024 * 1024 + 5000, 2 * 1024 * 1024 + 5000]);
    expect((await z.read(0, data.length)).equals(data)).toBe(true);
    await z.close();
  });

  it('a damaged frame is named by its index', async () => {
    const dir = await tempDir();
    const data = randomBytes(3 * 1024 * 1024);
    const path = join(dir, 'x.zst');
    await pipeline(Readable.from([data]), createSeekableZstdWriter({ frameSize: 1024 * 1024 }), createWriteStream(path));
    const bytes = await readFile(path);
    const z0 = await openSeekableZstdReader(await openFileReader(path));
    const f1 = z0.frames[1]!;
    await z0.close();
    bytes[f1.compressedOffset + 100] ^= 0xff;
    await writeFile(path, bytes);
    const z = await openSeekableZstdReader(await openFileReader(path));
    expect((await z.read(0, 100)).equals(data.subarray(0, 100))).toBe(true);
    await expectCode(z.read(1024 * 1024 + 5, 10), 'ARCHIVE_CORRUPT');
    await expect(z.read(1024 * 1024 + 5, 10)).rejects.toThrow(/zstd frame 1/);
    await z.close();
  });
});

describe('volumes', () => {
  async function writeVolumes(dir: string, data: Buffer, volumeSize: number): Promise<string> {
    const base = join(dir, 'b.tar');
    const w = createVolumeWriter({ basePath: base, volumeSize });
    await pipeline(Readable.from([data]), w);
    await writeFile(`${base}.parts.json`, encodeParts({ format: 'tar', volumeSize, ...w.result() }));
    return base;
  }

  it('cuts a stream into fixed-size volumes and reads them back as one file', async () => {
    const dir = await tempDir();
    const data = randomBytes(1024 * 1024 + 500);
    const base = await writeVolumes(dir, data, 256 * 1024);
    const v = await openVolumes(`${base}.000`);
    expect(v.parts.volumes.map((p) => p.name)).toEqual(['b.tar.000', 'b.tar.001', 'b.tar.002', 'b.tar.003', 'b.tar.004']);
    expect(v.parts.volumes[4]!.size).toBe(500);
    expect((await v.reader.read(256 * 1024 - 10, 20)).equals(data.subarray(256 * 1024 - 10, 256 * 1024 + 10))).toBe(true);
    expect((await readAll(v.reader.stream(100, data.length - 200))).equals(data.subarray(100, data.length - 100))).toBe(true);
    expect(v.locate(600 * 1024)).toEqual({ path: join(dir, 'b.tar.002'), offsetInPart: 600 * 1024 - 512 * 1024 });
    await v.reader.close();
  });

  it('a rerun with fewer volumes removes the stale ones', async () => {
    const dir = await tempDir();
    await writeVolumes(dir, randomBytes(1024 * 1024), 256 * 1024);
    const base = await writeVolumes(dir, randomBytes(300 * 1024), 256 * 1024);
    const v = await openVolumes(`${base}.parts.json`);
    expect(v.parts.volumes).toHaveLength(2);
    await expect(readFile(join(dir, 'b.tar.002'))).rejects.toThrow(/ENOENT/);
    await v.reader.close();
  });

  it('a missing volume is named', async () => {
    const dir = await tempDir();
    const base = await writeVolumes(dir, randomBytes(1024 * 1024), 256 * 1024);
    await rm(`${base}.002`);
    await expectCode(openVolumes(`${base}.000`), 'VOLUME_MISSING');
    await expect(openVolumes(`${base}.000`)).rejects.toThrow(/b\.tar\.002 \(3 of 4\) is missing/);
  });

  it('swapped volumes are named', async () => {
    const dir = await tempDir();
    const base = await writeVolumes(dir, randomBytes(1024 * 1024), 256 * 1024);
    await rename(`${base}.001`, `${base}.tmp`);
    await rename(`${base}.002`, `${base}.001`);
    await rename(`${base}.tmp`, `${base}.002`);
    await expectCode(openVolumes(`${base}.000`), 'VOLUME_ORDER');
    await expect(openVolumes(`${base}.000`)).rejects.toThrow(/b\.tar\.001 .* holds the content of volume b\.tar\.002/);
  });

  it('a volume with damaged bytes still opens, flagged, so verify can name what it hits', async () => {
    const dir = await tempDir();
    const base = await writeVolumes(dir, randomBytes(1024 * 1024), 256 * 1024);
    const data = await readFile(`${base}.001`);
    data[10] = (data[10] ?? 0) ^ 0xff;
    await writeFile(`${base}.001`, data);
    const v = await openVolumes(`${base}.000`);
    expect(v.damaged).toEqual(['b.tar.001']);
    await v.reader.close();
  });

  it('a truncated volume is named', async () => {
    const dir = await tempDir();
    const base = await writeVolumes(dir, randomBytes(1024 * 1024), 256 * 1024);
    await truncate(`${base}.003`, 1000);
    await expectCode(openVolumes(`${base}.parts.json`), 'VOLUME_MISMATCH');
  });
});
