import { createReadStream } from 'node:fs';
import { chmod, mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Descriptor } from '../content/descriptor.js';
import { digestHex, type Digest } from '../content/digest.js';
import type { OpenBody } from '../content/storage.js';
import { AirbundleError, errorMessage, isAirbundleError } from '../errors.js';
import { ChunkHasher } from './chunk-hasher.js';
import type { ContentCache } from './content-cache.js';

/** IngestOptions for {@link ingestResumable}. */
export interface IngestOptions {
  chunkSize: number;
  /** Bytes written (also counts bytes found in a partial from an earlier run, once). */
  onBytes?: (n: number) => void;
  /** Called once with the number of bytes taken over from an earlier, interrupted run. */
  onResume?: (offset: number) => void;
  /** What to call the blob in messages. */
  name?: string;
  signal?: AbortSignal;
}

/**
 * ingestResumable downloads a blob of known digest into the cache so that an interrupted run (killed, network
 * gone) is taken up where it stopped by the next run: bytes go to `partial/<hex>`, and a later call re-hashes
 * what is there and asks `open` only for the rest. The blob appears in the cache only once its digest is
 * verified (ingest → verify → rename). Returns its chunk digests. Never holds more than one read in memory.
 */
export async function ingestResumable(cache: ContentCache, desc: Descriptor, openBody: OpenBody, options: IngestOptions): Promise<Digest[]> {
  const name = options.name ?? desc.digest;
  const partial = join(cache.partialDir, `blob-${digestHex(desc.digest)}`);
  await mkdir(dirname(partial), { recursive: true });
  const hasher = new ChunkHasher(options.chunkSize);
  let offset = (await stat(partial).catch(() => undefined))?.size ?? 0;
  if (offset > desc.size) {
    await rm(partial, { force: true });
    offset = 0;
  }
  if (offset > 0) {
    // Re-hash what an earlier run left, streaming; the hash must cover every byte before the new ones.
    for await (const piece of createReadStream(partial, { end: offset - 1, highWaterMark: 1024 * 1024 })) hasher.update(piece as Buffer);
    options.onResume?.(offset);
    options.onBytes?.(offset);
  }
  if (offset < desc.size) {
    const fh = await open(partial, offset > 0 ? 'a' : 'w');
    try {
      const body = await openBody(offset);
      for await (const piece of body) {
        options.signal?.throwIfAborted();
        const buf = piece as Buffer;
        if (offset + buf.length > desc.size) throw new AirbundleError('SIZE_MISMATCH', `${name}: the source sent more than the ${desc.size} bytes expected`);
        let written = 0;
        while (written < buf.length) written += (await fh.write(buf, written, buf.length - written)).bytesWritten;
        hasher.update(buf);
        offset += buf.length;
        options.onBytes?.(buf.length);
      }
      await fh.sync();
    } catch (err) {
      // Keep the partial: the next run resumes from it. Only this attempt's error is reported.
      throw isAirbundleError(err) ? err : new AirbundleError('SOURCE_UNREACHABLE', `${name}: download interrupted at ${offset} of ${desc.size} bytes: ${errorMessage(err)}`, { cause: err, hint: 'run the build again: it resumes from here' });
    } finally {
      await fh.close();
    }
  }
  const result = hasher.digest();
  if (result.size !== desc.size || result.digest !== desc.digest) {
    await rm(partial, { force: true });
    throw new AirbundleError('DIGEST_MISMATCH', `${name}: downloaded content has digest ${result.digest} (${result.size} bytes), expected ${desc.digest} (${desc.size} bytes)`, {
      hint: 'the partial download was discarded; run the build again to fetch it afresh',
    });
  }
  await chmod(partial, 0o444);
  await mkdir(dirname(cache.blobs.blobPath(desc)), { recursive: true });
  await rename(partial, cache.blobs.blobPath(desc));
  if (result.chunks.length > 0) await cache.recordChunks(desc.digest, options.chunkSize, result.chunks);
  return desc.size > options.chunkSize ? result.chunks : [];
}
