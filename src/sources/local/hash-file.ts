import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { ChunkHasher } from '../../cache/chunk-hasher.js';
import type { ContentCache, FileStamp } from '../../cache/content-cache.js';
import { READ_HWM } from '../../content/layout-store.js';
import type { Digest } from '../../content/digest.js';

/** HashedFile is a local file with its digest and chunk digests. */
export interface HashedFile {
  path: string;
  size: number;
  digest: Digest;
  chunks: Digest[];
  mtimeMs: number;
  executable: boolean;
  /** True when the digest came from the cache's record and nothing was read. */
  cached: boolean;
}

/**
 * hashFile returns a local file's digest and chunk digests, reading it only when the cache has no record for
 * this exact version of the file (path, size, mtime, inode), then recording the result.
 */
export async function hashFile(path: string, cache: ContentCache, chunkSize: number, onBytes?: (n: number) => void): Promise<HashedFile> {
  const st = await stat(path);
  const stamp: FileStamp = { path, size: st.size, mtimeMs: st.mtimeMs, ino: st.ino };
  const executable = (st.mode & 0o111) !== 0;
  const known = await cache.lookupFile(stamp, chunkSize);
  if (known !== undefined) return { path, size: st.size, mtimeMs: st.mtimeMs, executable, cached: true, ...known };
  const hasher = new ChunkHasher(chunkSize);
  for await (const chunk of createReadStream(path, { highWaterMark: READ_HWM })) {
    hasher.update(chunk as Buffer);
    onBytes?.((chunk as Buffer).length);
  }
  const { digest, size, chunks } = hasher.digest();
  const after = await stat(path);
  if (size !== st.size || after.mtimeMs !== st.mtimeMs) {
    // The file changed while we read it; do not record a digest that may describe neither version.
    return { path, size, digest, chunks, mtimeMs: st.mtimeMs, executable, cached: false };
  }
  await cache.recordFile(stamp, chunkSize, digest, chunks);
  return { path, size, digest, chunks, mtimeMs: st.mtimeMs, executable, cached: false };
}
