/**
 * The git object id of a file's content: sha1 of `blob <size>\0` followed by the bytes. The Hub's tree listing
 * gives it as `oid` for every file; for files not in LFS it is the only digest the Hub publishes.
 * Reference: https://git-scm.com/book/en/v2/Git-Internals-Git-Objects ("Object Storage")
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { READ_HWM } from '../../content/layout-store.js';

/** gitBlobId computes the git blob sha1 (40 hex) of a file `size` bytes long, streaming. */
export async function gitBlobId(path: string, size: number, signal?: AbortSignal): Promise<string> {
  const hash = createHash('sha1').update(`blob ${size}\0`);
  for await (const chunk of createReadStream(path, { highWaterMark: READ_HWM, signal })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}
