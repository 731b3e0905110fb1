import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { chmod, mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ANNOTATION_REF_NAME, BLOBS_DIR, INDEX_FILE, MT_OCI_INDEX, OCI_LAYOUT_CONTENT, OCI_LAYOUT_FILE } from '../bundle/layout.js';
import { AirbundleError } from '../errors.js';
import { writeFileAtomic } from '../util/fs-atomic.js';
import { canonicalJson } from '../util/canonical-json.js';
import type { Descriptor } from './descriptor.js';
import { digestHex } from './digest.js';
import type { FetchOptions, OpenBody, PushOptions, Storage, TagResolver } from './storage.js';
import { verifyStream } from './verify-stream.js';
import { progressStream } from './progress-stream.js';

/** Read buffer size for blob files: 1 MiB reads hash twice as fast as Node's default 64 KiB. */
export const READ_HWM = 1024 * 1024;

interface IndexDocument {
  schemaVersion: 2;
  mediaType: string;
  manifests: Descriptor[];
}

/**
 * LayoutStore is a content-addressed store in an OCI image layout directory (`oci-layout`, `index.json`,
 * `blobs/sha256/<hex>`). Pushes stream into `ingest/`, are verified, made read-only and renamed into place, so
 * a blob path either holds verified content or does not exist. Tags are `org.opencontainers.image.ref.name`
 * annotations in `index.json`, which is written atomically by {@link LayoutStore.saveIndex}.
 * Reference: https://github.com/opencontainers/image-spec/blob/v1.1.1/image-layout.md
 */
export class LayoutStore implements Storage, TagResolver {
  readonly root: string;
  #index: IndexDocument | undefined;

  private constructor(root: string) {
    this.root = root;
  }

  /** open opens (creating when asked) a layout directory. */
  static async open(root: string, options: { create?: boolean } = {}): Promise<LayoutStore> {
    const store = new LayoutStore(root);
    if (options.create === true) {
      await mkdir(join(root, BLOBS_DIR), { recursive: true });
      const layoutPath = join(root, OCI_LAYOUT_FILE);
      if (!(await exists(layoutPath))) await writeFileAtomic(layoutPath, OCI_LAYOUT_CONTENT);
    } else if (!(await exists(join(root, OCI_LAYOUT_FILE)))) {
      throw new AirbundleError('BUNDLE_NOT_FOUND', `${root} is not an OCI image layout (no ${OCI_LAYOUT_FILE} file)`);
    }
    return store;
  }

  /** blobPath is where a blob lives in the layout. */
  blobPath(desc: Pick<Descriptor, 'digest'>): string {
    return join(this.root, BLOBS_DIR, digestHex(desc.digest));
  }

  async exists(desc: Descriptor): Promise<boolean> {
    try {
      const st = await stat(this.blobPath(desc));
      return st.isFile() && st.size === desc.size;
    } catch {
      return false;
    }
  }

  async fetch(desc: Descriptor, options: FetchOptions = {}): Promise<Readable> {
    const path = this.blobPath(desc);
    const st = await stat(path).catch(() => undefined);
    if (st === undefined) {
      throw new AirbundleError('BLOB_NOT_FOUND', `blob ${desc.digest} is not in ${this.root}`);
    }
    if (st.size !== desc.size) {
      throw new AirbundleError('SIZE_MISMATCH', `blob ${desc.digest} in ${this.root} has ${st.size} bytes, expected ${desc.size}`);
    }
    const start = options.offset ?? 0;
    if (start >= desc.size) return Readable.from([]);
    return createReadStream(path, { start, highWaterMark: READ_HWM, signal: options.signal });
  }

  async push(expected: Descriptor, open: OpenBody, options: PushOptions = {}): Promise<void> {
    if (await this.exists(expected)) return;
    const ingestDir = join(this.root, 'ingest');
    await mkdir(ingestDir, { recursive: true });
    const tmp = join(ingestDir, `${digestHex(expected.digest)}.${randomBytes(4).toString('hex')}`);
    try {
      await pipeline(
        await open(0),
        verifyStream(expected),
        progressStream(options.onBytes),
        createWriteStream(tmp),
        { signal: options.signal },
      );
      await fsyncFile(tmp);
      await chmod(tmp, 0o444);
      await mkdir(join(this.root, BLOBS_DIR), { recursive: true });
      await rename(tmp, this.blobPath(expected));
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
  }

  /** resolve finds the descriptor tagged `reference` in index.json. */
  async resolve(reference: string): Promise<Descriptor> {
    const index = await this.#loadIndex();
    const found = index.manifests.find((d) => d.annotations?.[ANNOTATION_REF_NAME] === reference);
    if (found === undefined) {
      const known = index.manifests.map((d) => d.annotations?.[ANNOTATION_REF_NAME]).filter((r) => r !== undefined);
      throw new AirbundleError('BLOB_NOT_FOUND', `no reference "${reference}" in ${join(this.root, INDEX_FILE)}`, {
        hint: known.length > 0 ? `known references: ${known.join(', ')}` : 'the index lists no references',
      });
    }
    return found;
  }

  /** tag records `desc` under `reference` in the in-memory index; call {@link saveIndex} to persist. */
  async tag(desc: Descriptor, reference: string): Promise<void> {
    const index = await this.#loadIndex();
    index.manifests = index.manifests.filter((d) => d.annotations?.[ANNOTATION_REF_NAME] !== reference);
    index.manifests.push({ ...desc, annotations: { ...desc.annotations, [ANNOTATION_REF_NAME]: reference } });
  }

  /** manifests lists the index entries. */
  async manifests(): Promise<Descriptor[]> {
    return [...(await this.#loadIndex()).manifests];
  }

  /** saveIndex writes index.json atomically, entries sorted by ref name for reproducible bytes. */
  async saveIndex(): Promise<void> {
    const index = await this.#loadIndex();
    const ref = (d: Descriptor): string => d.annotations?.[ANNOTATION_REF_NAME] ?? d.digest;
    index.manifests.sort((a, b) => (ref(a) < ref(b) ? -1 : ref(a) > ref(b) ? 1 : 0));
    await writeFileAtomic(join(this.root, INDEX_FILE), canonicalJson(index));
  }

  async #loadIndex(): Promise<IndexDocument> {
    if (this.#index !== undefined) return this.#index;
    const path = join(this.root, INDEX_FILE);
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch {
      this.#index = { schemaVersion: 2, mediaType: MT_OCI_INDEX, manifests: [] };
      return this.#index;
    }
    const parsed: unknown = JSON.parse(text);
    if (!isIndexDocument(parsed)) {
      throw new AirbundleError('BUNDLE_CORRUPT', `${path} is not an OCI image index`);
    }
    this.#index = parsed;
    return parsed;
  }
}

function isIndexDocument(value: unknown): value is IndexDocument {
  return typeof value === 'object' && value !== null && Array.isArray((value as { manifests?: unknown }).manifests);
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

async function fsyncFile(path: string): Promise<void> {
  const fh = await open(path, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}
