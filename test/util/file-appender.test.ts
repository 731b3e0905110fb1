import { randomBytes } from 'node:crypto';
import { open, readFile, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FileAppender } from '../../src/util/file-appender.js';
import { useTempDirs } from '../support/temp-dir.js';

const tempDir = useTempDirs();

/** A file handle that writes at most `max` bytes per writev (as a full disk or a signal can), counting datasyncs. */
function shortWrites(max: number): { fh: FileHandle; data: () => Buffer; datasyncs: () => number } {
  let file = Buffer.alloc(0);
  let datasyncs = 0;
  const fake = {
    async writev(buffers: Buffer[], position: number) {
      const all = Buffer.concat(buffers).subarray(0, max);
      const end = position + all.length;
      if (file.length < end) file = Buffer.concat([file, Buffer.alloc(end - file.length)]);
      all.copy(file, position);
      return { bytesWritten: all.length, buffers };
    },
    async datasync() {
      datasyncs++;
    },
    async sync() {},
  };
  return { fh: fake as unknown as FileHandle, data: () => file, datasyncs: () => datasyncs };
}

describe('FileAppender', () => {
  it('writes uneven slices in order, after what the file held, and reports each batch once it is written', async () => {
    const dir = await tempDir();
    const path = join(dir, 'f');
    const head = Buffer.from('already here;');
    const fh = await open(path, 'w+');
    await fh.write(head, 0, head.length, 0);
    const slices = [1, 70000, 3, 1 << 20, 5, 300000].map((n) => randomBytes(n));
    const seen: Buffer[] = [];
    try {
      const file = new FileAppender(fh, head.length, { batchBytes: 100000, onWritten: (batch, bytes) => {
        expect(bytes).toBe(batch.reduce((n, b) => n + b.length, 0));
        seen.push(...batch);
      } });
      for (const s of slices) await file.append(s);
      await file.sync();
    } finally {
      await fh.close();
    }
    expect((await readFile(path)).equals(Buffer.concat([head, ...slices]))).toBe(true);
    expect(Buffer.concat(seen).equals(Buffer.concat(slices))).toBe(true);
  });

  it('finishes a short writev with the rest, and flushes to disk as the bytes pass each mark', async () => {
    const { fh, data, datasyncs } = shortWrites(4097);
    const slices = Array.from({ length: 40 }, (_, i) => randomBytes(1000 + i * 37));
    const file = new FileAppender(fh, 0, { batchBytes: 8192, flushEveryBytes: 10000 });
    for (const s of slices) await file.append(s);
    await file.sync();
    expect(data().equals(Buffer.concat(slices))).toBe(true);
    expect(datasyncs()).toBeGreaterThan(0);
  });

  it('a failed write is reported by the next call, not lost', async () => {
    const fake = { writev: async () => Promise.reject(Object.assign(new Error('no space left on device'), { code: 'ENOSPC' })), datasync: async () => undefined, sync: async () => undefined };
    const file = new FileAppender(fake as unknown as FileHandle, 0, { batchBytes: 10 });
    await file.append(Buffer.alloc(20));
    await expect(file.drain()).rejects.toThrow(/no space/);
  });
});
