import { Readable } from 'node:stream';
import { AirbundleError } from '../errors.js';
import { descriptorFor, type Descriptor } from './descriptor.js';
import type { FetchOptions, OpenBody, ReadOnlyStorage, Storage } from './storage.js';
import { verifyStream } from './verify-stream.js';

/**
 * MemoryStore holds small generated blobs (manifests, configs) in memory. It refuses anything larger than
 * `maxBytes` (default 4 MiB) so it can never become a place where a model file is buffered.
 */
export class MemoryStore implements Storage {
  readonly #blobs = new Map<string, Buffer>();
  readonly #maxBytes: number;

  constructor(maxBytes = 4 * 1024 * 1024) {
    this.#maxBytes = maxBytes;
  }

  /** add stores bytes and returns their descriptor. */
  add(mediaType: string, bytes: Buffer | string): Descriptor {
    const buf = typeof bytes === 'string' ? Buffer.from(bytes) : bytes;
    if (buf.length > this.#maxBytes) throw new AirbundleError('INTERNAL', `MemoryStore refuses ${buf.length} bytes`);
    const desc = descriptorFor(mediaType, buf);
    this.#blobs.set(desc.digest, buf);
    return desc;
  }

  async exists(desc: Descriptor): Promise<boolean> {
    return this.#blobs.has(desc.digest);
  }

  async fetch(desc: Descriptor, options: FetchOptions = {}): Promise<Readable> {
    const buf = this.#blobs.get(desc.digest);
    if (buf === undefined) throw new AirbundleError('BLOB_NOT_FOUND', `blob ${desc.digest} is not in memory`);
    return Readable.from([buf.subarray(options.offset ?? 0)]);
  }

  async push(expected: Descriptor, open: OpenBody): Promise<void> {
    if (expected.size > this.#maxBytes) throw new AirbundleError('INTERNAL', `MemoryStore refuses ${expected.size} bytes`);
    const parts: Buffer[] = [];
    const verifier = (await open(0)).pipe(verifyStream(expected));
    for await (const chunk of verifier) parts.push(chunk as Buffer);
    this.#blobs.set(expected.digest, Buffer.concat(parts));
  }
}

/** UnionStorage reads from the first of several stores that has a blob. */
export class UnionStorage implements ReadOnlyStorage {
  readonly #stores: ReadOnlyStorage[];

  constructor(stores: ReadOnlyStorage[]) {
    this.#stores = stores;
  }

  async exists(desc: Descriptor): Promise<boolean> {
    for (const s of this.#stores) if (await s.exists(desc)) return true;
    return false;
  }

  async fetch(desc: Descriptor, options?: FetchOptions): Promise<Readable> {
    for (const s of this.#stores) if (await s.exists(desc)) return s.fetch(desc, options);
    throw new AirbundleError('BLOB_NOT_FOUND', `blob ${desc.digest} (${desc.mediaType}) is in none of the sources`);
  }
}
