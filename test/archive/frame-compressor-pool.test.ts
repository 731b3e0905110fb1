import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { compress } from 'zstd-napi';
import { FrameCompressorPool } from '../../src/archive/frame-compressor-pool.js';
import { encodeSeekTable } from '../../src/archive/seekable-zstd-format.js';
import { createSeekableZstdWriter } from '../../src/archive/seekable-zstd-writer.js';
import { expectCode } from '../support/matchers.js';

const params = (level: number) => ({ compressionLevel: level, checksumFlag: true, contentSizeFlag: true });

/** Weights-like input: random low bytes, high bytes in a narrow range (zstd keeps about three quarters). */
function weights(size: number): Buffer {
  const b = randomBytes(size);
  for (let i = 1; i < b.length; i += 2) b[i] = (b[i]! & 0x81) | 0x3c;
  return b;
}

async function readAll(r: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of r) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

/** Chunks of uneven sizes, as files and sockets deliver them. */
function* unevenChunks(data: Buffer): Generator<Buffer> {
  const sizes = [1, 511, 65536, 7, 300000, 4096];
  for (let off = 0, i = 0; off < data.length; i++) {
    const n = Math.min(sizes[i % sizes.length]!, data.length - off);
    yield data.subarray(off, off + n);
    off += n;
  }
}

describe('frame compressor pool', () => {
  it('makes the same frame, byte for byte, as zstd-napi compress on the main thread', async () => {
    const pool = new FrameCompressorPool({ level: 3, frameSize: 1 << 20, threads: 2 });
    try {
      const inputs = [weights(1 << 20), weights(12345), Buffer.alloc(1 << 20), weights(1)];
      const frames = await Promise.all(
        inputs.map(async (input) => {
          const slot = await pool.acquire();
          slot.input.set(input);
          return pool.submit(slot, input.length);
        }),
      );
      frames.forEach((frame, i) => expect(frame.equals(compress(inputs[i]!, params(3)))).toBe(true));
    } finally {
      await pool.close();
    }
  });

  it('lends one slot per thread and one more, and makes the next producer wait until a frame is done', async () => {
    const pool = new FrameCompressorPool({ level: 1, frameSize: 64 * 1024, threads: 2 });
    try {
      const slots = await Promise.all([0, 1, 2].map(() => pool.acquire()));
      let fourth = false;
      const waiting = pool.acquire().then((s) => {
        fourth = true;
        return s;
      });
      await new Promise((r) => setTimeout(r, 50));
      expect(fourth).toBe(false);
      slots[0]!.input.set(weights(1000));
      await pool.submit(slots[0]!, 1000);
      expect(await waiting).toBe(slots[0]);
    } finally {
      await pool.close();
    }
  });

  it('close rejects a producer waiting for a slot, with a code', async () => {
    const pool = new FrameCompressorPool({ level: 1, frameSize: 4096, threads: 1 });
    await pool.acquire();
    await pool.acquire();
    const waiting = pool.acquire();
    await pool.close();
    await expectCode(waiting, 'ABORTED');
  });
});

describe('seekable zstd writer on threads', () => {
  it('writes the same bytes with 1 and 3 threads, and each frame is zstd-napi compress of its window', async () => {
    const data = weights(5 * 256 * 1024 + 777);
    const cutAt = [1000, 300000, 900000];
    const write = (threads: number) => readAll(Readable.from(unevenChunks(data)).pipe(createSeekableZstdWriter({ level: 1, frameSize: 256 * 1024, cutAt, threads })));
    const [one, three] = await Promise.all([write(1), write(3)]);
    expect(one.equals(three)).toBe(true);
    // Rebuild the expected file frame by frame on the main thread: cuts, then 256 KiB windows.
    const windows: Array<[number, number]> = [];
    for (let start = 0; start < data.length; ) {
      const cut = cutAt.find((c) => c > start);
      const end = Math.min(start + 256 * 1024, cut ?? Infinity, data.length);
      windows.push([start, end]);
      start = end;
    }
    const frames = windows.map(([s, e]) => compress(data.subarray(s, e), params(1)));
    const table = encodeSeekTable(frames.map((f, i) => ({ compressedSize: f.length, decompressedSize: windows[i]![1] - windows[i]![0] })));
    expect(one.equals(Buffer.concat([...frames, table]))).toBe(true);
  });

  it('a stream destroyed with frames still compressing rejects them quietly (no unhandled rejection)', async () => {
    const writer = createSeekableZstdWriter({ level: 19, frameSize: 256 * 1024, threads: 1 });
    writer.on('error', () => undefined);
    writer.resume();
    const data = weights(4 * 256 * 1024);
    writer.write(data);
    // Both slots are submitted once the first write is taken in; destroy while level 19 is still on them.
    await new Promise((r) => setImmediate(r));
    const closed = new Promise((resolve) => writer.on('close', resolve));
    writer.destroy(new Error('cut'));
    await closed;
    await new Promise((r) => setTimeout(r, 50));
  });

  it('a stream destroyed mid-way stops its threads and does not hang', async () => {
    const writer = createSeekableZstdWriter({ level: 1, frameSize: 64 * 1024, threads: 2 });
    const closed = new Promise((resolve) => writer.on('close', resolve));
    const failed = once(writer, 'error');
    writer.write(weights(300 * 1024));
    writer.destroy(new Error('cut'));
    expect(((await failed)[0] as Error).message).toBe('cut');
    await closed;
    expect(writer.destroyed).toBe(true);
  });
});
