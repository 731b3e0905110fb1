import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { Descriptor } from '../content/descriptor.js';
import { digestHex, isDigest, type Digest } from '../content/digest.js';
import { LayoutStore } from '../content/layout-store.js';
import type { Fetcher } from '../content/storage.js';
import { AirbundleError } from '../errors.js';
import { writeFileAtomic } from '../util/fs-atomic.js';
import { ChunkHasher } from './chunk-hasher.js';

/** defaultCacheDir is `$AIRBUNDLE_CACHE`, else `$XDG_CACHE_HOME/airbundle`, else `~/.cache/airbundle`. */
export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.AIRBUNDLE_CACHE !== undefined && env.AIRBUNDLE_CACHE !== '') return env.AIRBUNDLE_CACHE;
  const xdg = env.XDG_CACHE_HOME;
  return join(xdg !== undefined && xdg !== '' ? xdg : join(homedir(), '.cache'), 'airbundle');
}

/** FileStamp identifies a local file version without reading it. */
export interface FileStamp {
  path: string;
  size: number;
  mtimeMs: number;
  ino: number;
}

/**
 * ContentCache is the build-side content-addressed cache (DESIGN §5): downloaded blobs in an OCI layout store
 * (`blobs/sha256/…`, ingest → verify → rename), partial downloads under `partial/` for resume, and small
 * metadata records under `meta/` so that a second build neither downloads nor re-hashes what it has:
 * chunk digests per blob, and the digest of each local file keyed by path, size, mtime and inode.
 */
export class ContentCache {
  readonly root: string;
  readonly blobs: LayoutStore;

  private constructor(root: string, blobs: LayoutStore) {
    this.root = root;
    this.blobs = blobs;
  }

  /** open opens or creates a cache directory. */
  static async open(root: string = defaultCacheDir()): Promise<ContentCache> {
    return new ContentCache(root, await LayoutStore.open(root, { create: true }));
  }

  /** partialDir is where resumable downloads keep their in-flight bytes. */
  get partialDir(): string {
    return join(this.root, 'partial');
  }

  /** keyOf makes a stable file-name key from any string (a URL, a path). */
  static keyOf(value: string): string {
    return createHash('sha256').update(value).digest('hex');
  }

  /** readMeta reads a metadata record, or undefined when it is missing or unreadable (the cache is advisory). */
  async readMeta(kind: string, key: string): Promise<unknown> {
    try {
      return JSON.parse(await readFile(join(this.root, 'meta', kind, `${key}.json`), 'utf8')) as unknown;
    } catch {
      return undefined;
    }
  }

  /** writeMeta writes a metadata record atomically. */
  async writeMeta(kind: string, key: string, value: unknown): Promise<void> {
    await writeFileAtomic(join(this.root, 'meta', kind, `${key}.json`), `${JSON.stringify(value)}\n`);
  }

  /** lookupFile returns the digest and chunks recorded for a local file version, if any. */
  async lookupFile(stamp: FileStamp, chunkSize: number): Promise<{ digest: Digest; chunks: Digest[] } | undefined> {
    const rec = await this.readMeta('files', ContentCache.keyOf(`${stamp.path}\0${chunkSize}`));
    if (!isFileRecord(rec)) return undefined;
    if (rec.size !== stamp.size || rec.mtimeMs !== stamp.mtimeMs || rec.ino !== stamp.ino) return undefined;
    return { digest: rec.digest, chunks: rec.chunks };
  }

  /** recordFile remembers the digest and chunks of a local file version. */
  async recordFile(stamp: FileStamp, chunkSize: number, digest: Digest, chunks: Digest[]): Promise<void> {
    await this.writeMeta('files', ContentCache.keyOf(`${stamp.path}\0${chunkSize}`), { ...stamp, digest, chunks });
  }

  /** recordChunks remembers the chunk digests of a blob. */
  async recordChunks(digest: Digest, chunkSize: number, chunks: Digest[]): Promise<void> {
    await this.writeMeta('chunks', `${digestHex(digest)}-${chunkSize}`, { digest, chunkSize, chunks });
  }

  /**
   * chunksOf returns the chunk digests of a blob (empty when it is not larger than `chunkSize`). Known ones come
   * from `meta/chunks`; otherwise the blob is read once from `fetcher`, checked against its digest, and the result
   * recorded.
   */
  async chunksOf(desc: Descriptor, chunkSize: number, fetcher: Fetcher, onBytes?: (n: number) => void): Promise<Digest[]> {
    if (desc.size <= chunkSize) return [];
    const rec = await this.readMeta('chunks', `${digestHex(desc.digest)}-${chunkSize}`);
    if (isChunkRecord(rec) && rec.chunks.length === Math.ceil(desc.size / chunkSize)) return rec.chunks;
    const hasher = new ChunkHasher(chunkSize);
    for await (const chunk of await fetcher.fetch(desc)) {
      hasher.update(chunk as Buffer);
      onBytes?.((chunk as Buffer).length);
    }
    const result = hasher.digest();
    if (result.digest !== desc.digest || result.size !== desc.size) {
      throw new AirbundleError('DIGEST_MISMATCH', `blob ${desc.digest} read back as ${result.digest} (${result.size} bytes)`, {
        hint: 'the source changed or is damaged; fetch it again',
      });
    }
    await this.recordChunks(desc.digest, chunkSize, result.chunks);
    return result.chunks;
  }
}

interface FileRecord extends FileStamp {
  digest: Digest;
  chunks: Digest[];
}

function isFileRecord(v: unknown): v is FileRecord {
  if (v === null || typeof v !== 'object') return false;
  const r = v as Record<string, unknown>;
  return isDigest(r.digest) && Array.isArray(r.chunks) && r.chunks.every(isDigest) && typeof r.size === 'number' && typeof r.mtimeMs === 'number' && typeof r.ino === 'number';
}

function isChunkRecord(v: unknown): v is { chunks: Digest[] } {
  if (v === null || typeof v !== 'object') return false;
  const chunks = (v as Record<string, unknown>).chunks;
  return Array.isArray(chunks) && chunks.every(isDigest);
}
