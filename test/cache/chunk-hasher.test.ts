import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ChunkHasher } from '../../src/cache/chunk-hasher.js';

const sha = (b: Buffer): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

describe('ChunkHasher', () => {
  it('hashes whole and per chunk in one pass, whatever the slice sizes', () => {
    const data = randomBytes(10_000);
    for (const slice of [1, 333, 1000, 4096, 10_000]) {
      const h = new ChunkHasher(1000);
      for (let i = 0; i < data.length; i += slice) h.update(data.subarray(i, i + slice));
      const r = h.digest();
      expect(r.digest).toBe(sha(data));
      expect(r.size).toBe(data.length);
      expect(r.chunks).toEqual(Array.from({ length: 10 }, (_, i) => sha(data.subarray(i * 1000, (i + 1) * 1000))));
    }
  });

  it('gives a short last chunk, and no chunks for a blob not larger than the chunk size', () => {
    const data = randomBytes(2500);
    const h = new ChunkHasher(1000);
    h.update(data);
    expect(h.digest().chunks).toEqual([sha(data.subarray(0, 1000)), sha(data.subarray(1000, 2000)), sha(data.subarray(2000))]);
    const small = new ChunkHasher(1000);
    small.update(data.subarray(0, 1000));
    expect(small.digest().chunks).toEqual([]);
  });
});
