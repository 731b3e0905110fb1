import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Readable } from 'node:stream';
import type { Descriptor } from '../../content/descriptor.js';
import { READ_HWM } from '../../content/layout-store.js';
import type { FetchOptions, ReadOnlyStorage } from '../../content/storage.js';
import { AirbundleError } from '../../errors.js';

/**
 * FileTreeStorage serves local files by digest without copying them into the cache: a local model is hashed
 * once (and remembered by path, size, mtime, inode) and read straight from where it is. Whoever consumes the
 * bytes verifies them against the digest, so a file changed after hashing is caught, not packed.
 */
export class FileTreeStorage implements ReadOnlyStorage {
  readonly #paths = new Map<string, string>();

  /** add maps a digest to the file that holds it. */
  add(digest: string, path: string): void {
    this.#paths.set(digest, path);
  }

  async exists(desc: Descriptor): Promise<boolean> {
    const path = this.#paths.get(desc.digest);
    if (path === undefined) return false;
    const st = await stat(path).catch(() => undefined);
    return st !== undefined && st.size === desc.size;
  }

  async fetch(desc: Descriptor, options: FetchOptions = {}): Promise<Readable> {
    const path = this.#paths.get(desc.digest);
    if (path === undefined) throw new AirbundleError('BLOB_NOT_FOUND', `blob ${desc.digest} is not a known local file`);
    const start = options.offset ?? 0;
    if (start >= desc.size) return Readable.from([]);
    return createReadStream(path, { start, end: desc.size - 1, highWaterMark: READ_HWM, signal: options.signal });
  }
}
