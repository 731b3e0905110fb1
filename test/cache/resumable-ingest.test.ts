import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ContentCache } from '../../src/cache/content-cache.js';
import { ingestResumable } from '../../src/cache/resumable-ingest.js';
import { descriptorFor } from '../../src/content/descriptor.js';
import { expectCode } from '../support/matchers.js';
import { useTempDirs } from '../support/temp-dir.js';

const tempDir = useTempDirs();

/** A source that dies after `cut` bytes on its first open, like a killed or dropped download. */
function flaky(data: Buffer, cut: number) {
  const opens: number[] = [];
  return {
    opens,
    open: async (offset: number): Promise<Readable> => {
      opens.push(offset);
      if (opens.length === 1) {
        return Readable.from((async function* () {
          yield data.subarray(offset, cut);
          throw new Error('connection reset');
        })());
      }
      return Readable.from([data.subarray(offset)]);
    },
  };
}

describe('ingestResumable', () => {
  it('keeps what an interrupted run wrote, and the next run asks only for the rest', async () => {
    const cache = await ContentCache.open(await tempDir());
    const data = randomBytes(3 * 1024 * 1024 + 11);
    const desc = descriptorFor('application/octet-stream', data);
    const src = flaky(data, 1024 * 1024 + 5);
    await expectCode(ingestResumable(cache, desc, src.open, { chunkSize: 1024 * 1024 }), 'SOURCE_UNREACHABLE');
    expect(await cache.blobs.exists(desc)).toBe(false);
    let resumedAt = -1;
    const chunks = await ingestResumable(cache, desc, src.open, { chunkSize: 1024 * 1024, onResume: (n) => (resumedAt = n) });
    expect(src.opens).toEqual([0, 1024 * 1024 + 5]);
    expect(resumedAt).toBe(1024 * 1024 + 5);
    expect(chunks).toHaveLength(4);
    expect(await cache.blobs.exists(desc)).toBe(true);
  });

  it('throws away bytes that do not hash to the digest', async () => {
    const cache = await ContentCache.open(await tempDir());
    const data = randomBytes(100_000);
    const desc = descriptorFor('application/octet-stream', data);
    const wrong = Buffer.from(data);
    wrong[5] = (wrong[5] ?? 0) ^ 1;
    await expectCode(ingestResumable(cache, desc, async () => Readable.from([wrong]), { chunkSize: 1024 * 1024 }), 'DIGEST_MISMATCH');
    expect(await cache.blobs.exists(desc)).toBe(false);
    await ingestResumable(cache, desc, async (o) => Readable.from([data.subarray(o)]), { chunkSize: 1024 * 1024 });
    expect(await cache.blobs.exists(desc)).toBe(true);
  });
});
