import { readFile, stat } from 'node:fs/promises';
import { basename, join, posix } from 'node:path';
import { Readable } from 'node:stream';
import { openFileReader } from '../archive/file-reader.js';
import type { RandomAccessReader } from '../archive/random-access.js';
import { openSeekableZstdReader, sniffFormat, type SeekableZstdReader } from '../archive/seekable-zstd-reader.js';
import { walkTar } from '../archive/tar-walker.js';
import { openVolumes, type OpenedVolumes } from '../archive/parts.js';
import type { Descriptor } from '../content/descriptor.js';
import { LayoutStore } from '../content/layout-store.js';
import type { FetchOptions, ReadOnlyStorage } from '../content/storage.js';
import { AirbundleError, errorMessage } from '../errors.js';
import { validateBundleManifest } from '../schema/validate.js';
import { BLOBS_DIR, BUNDLE_MANIFEST_FILE, BUNDLE_SIGNATURE_FILE, INDEX_FILE, OCI_LAYOUT_FILE, PARTS_SUFFIX } from './layout.js';
import { blobTableProblems, type BundleManifest } from './manifest.js';
import type { BundleForm } from './writer.js';

/** Where an entry's body sits in the (uncompressed) tar stream. */
interface EntryLocation {
  dataOffset: number;
  size: number;
}

/** PhysicalLocation names where a byte of a blob is stored, for error messages. */
export interface PhysicalLocation {
  /** The file that holds the byte: the archive, a volume, or the blob file in a directory. */
  file: string;
  /** Offset of the byte (for compressed archives: of the start of the zstd frame holding it). */
  offset: number;
  /** Set when the offset is that of a zstd frame. */
  frame?: number;
}

/**
 * BundleReader opens a bundle in any physical form (directory, `.tar`, seekable `.tar.zst`, volumes by their
 * first file or their parts list) and serves its blobs by digest as a read-only store, reading each from its
 * offset without extracting anything. Only entry headers are walked at open; bodies are read on demand.
 */
export class BundleReader implements ReadOnlyStorage {
  readonly path: string;
  readonly form: BundleForm;
  readonly manifestBytes: Buffer;
  readonly manifest: BundleManifest;
  readonly signature: Buffer | undefined;
  readonly index: Buffer;
  readonly volumes: OpenedVolumes | undefined;
  readonly #entries: Map<string, EntryLocation>;
  readonly #tar: RandomAccessReader | undefined;
  readonly #zstd: SeekableZstdReader | undefined;
  readonly #dir: LayoutStore | undefined;

  private constructor(init: {
    path: string;
    form: BundleForm;
    manifestBytes: Buffer;
    manifest: BundleManifest;
    signature: Buffer | undefined;
    index: Buffer;
    volumes?: OpenedVolumes;
    entries: Map<string, EntryLocation>;
    tar?: RandomAccessReader;
    zstd?: SeekableZstdReader;
    dir?: LayoutStore;
  }) {
    this.path = init.path;
    this.form = init.form;
    this.manifestBytes = init.manifestBytes;
    this.manifest = init.manifest;
    this.signature = init.signature;
    this.index = init.index;
    this.volumes = init.volumes;
    this.#entries = init.entries;
    this.#tar = init.tar;
    this.#zstd = init.zstd;
    this.#dir = init.dir;
  }

  /** open opens a bundle at `path` (a directory, an archive, the first volume, or a parts list). */
  static async open(path: string): Promise<BundleReader> {
    const st = await stat(path).catch(() => undefined);
    if (st === undefined) {
      const parts = `${path}${PARTS_SUFFIX}`;
      if ((await stat(parts).catch(() => undefined)) !== undefined) return BundleReader.#openArchive(path, await openVolumes(parts));
      throw new AirbundleError('BUNDLE_NOT_FOUND', `${path} does not exist`, { hint: 'give a bundle directory, a .tar or .tar.zst file, its first volume (.000) or its .parts.json' });
    }
    if (st.isDirectory()) return BundleReader.#openDirectory(path);
    if (path.endsWith(PARTS_SUFFIX) || /\.\d{3}$/.test(path)) return BundleReader.#openArchive(path, await openVolumes(path));
    return BundleReader.#openArchive(path, undefined);
  }

  static async #openDirectory(path: string): Promise<BundleReader> {
    const dir = await LayoutStore.open(path).catch((err: unknown) => {
      throw new AirbundleError('BUNDLE_UNREADABLE', `${path} is not a bundle: ${errorMessage(err)}`);
    });
    const read = async (name: string): Promise<Buffer | undefined> => readFile(join(path, name)).catch(() => undefined);
    const manifestBytes = await read(BUNDLE_MANIFEST_FILE);
    const index = await read(INDEX_FILE);
    if (manifestBytes === undefined) throw new AirbundleError('BUNDLE_CORRUPT', `${path} has no ${BUNDLE_MANIFEST_FILE}: it is an OCI layout but not a bundle`);
    if (index === undefined) throw new AirbundleError('BUNDLE_CORRUPT', `${path} has no ${INDEX_FILE}`);
    return new BundleReader({
      path,
      form: 'dir',
      manifestBytes,
      manifest: parseManifest(manifestBytes, path),
      signature: await read(BUNDLE_SIGNATURE_FILE),
      index,
      entries: new Map(),
      dir,
    });
  }

  static async #openArchive(path: string, volumes: OpenedVolumes | undefined): Promise<BundleReader> {
    const raw = volumes?.reader ?? (await openFileReader(path));
    try {
      return await BundleReader.#readArchive(path, raw, volumes);
    } catch (err) {
      await raw.close();
      throw err;
    }
  }

  static async #readArchive(path: string, raw: RandomAccessReader, volumes: OpenedVolumes | undefined): Promise<BundleReader> {
    const kind = await sniffFormat(raw);
    let tar: RandomAccessReader;
    let zstd: SeekableZstdReader | undefined;
    if (kind === 'zstd-seekable') {
      zstd = await openSeekableZstdReader(raw);
      tar = zstd;
    } else if (kind === 'tar') {
      tar = raw;
    } else {
      throw new AirbundleError('BUNDLE_UNREADABLE', kind === 'zstd'
        ? `${path} is zstd-compressed but has no seek table at its end: it is a plain (not seekable) .zst, or it was cut short${volumes !== undefined ? ' (check the last volume)' : ''}`
        : `${path} is neither a tar nor a seekable .tar.zst bundle`, {
        hint: kind === 'zstd'
          ? 'if it was copied, copy it again in full; a plain .zst: decompress it (zstd -d) and open the .tar, or rebuild it with bundle build --out x.tar.zst'
          : 'give a bundle directory, .tar, .tar.zst, first volume or .parts.json',
      });
    }
    const entries = await listEntries(tar, path);
    const readEntry = async (name: string): Promise<Buffer | undefined> => {
      const loc = entries.get(name);
      return loc === undefined ? undefined : tar.read(loc.dataOffset, loc.size);
    };
    if (!entries.has(OCI_LAYOUT_FILE)) throw new AirbundleError('BUNDLE_CORRUPT', `${path} has no ${OCI_LAYOUT_FILE} entry: not a bundle`);
    const manifestBytes = await readEntry(BUNDLE_MANIFEST_FILE);
    const index = await readEntry(INDEX_FILE);
    if (manifestBytes === undefined) throw new AirbundleError('BUNDLE_CORRUPT', `${path} has no ${BUNDLE_MANIFEST_FILE} entry`);
    if (index === undefined) throw new AirbundleError('BUNDLE_CORRUPT', `${path} has no ${INDEX_FILE} entry`);
    return new BundleReader({
      path,
      form: kind === 'zstd-seekable' ? 'tar.zst' : 'tar',
      manifestBytes,
      manifest: parseManifest(manifestBytes, path),
      signature: await readEntry(BUNDLE_SIGNATURE_FILE),
      index,
      ...(volumes !== undefined ? { volumes } : {}),
      entries,
      tar,
      ...(zstd !== undefined ? { zstd } : {}),
    });
  }

  /** displayName is what to call the bundle in messages. */
  get displayName(): string {
    return basename(this.path);
  }

  async exists(desc: Descriptor): Promise<boolean> {
    if (this.#dir !== undefined) return this.#dir.exists(desc);
    return this.#entries.get(blobEntryName(desc))?.size === desc.size;
  }

  async fetch(desc: Descriptor, options: FetchOptions = {}): Promise<Readable> {
    const offset = options.offset ?? 0;
    if (this.#dir !== undefined) return this.#dir.fetch(desc, options);
    const loc = this.#entries.get(blobEntryName(desc));
    if (loc === undefined) throw new AirbundleError('BLOB_NOT_FOUND', `blob ${desc.digest} is missing from ${this.displayName}`);
    if (loc.size !== desc.size) throw new AirbundleError('SIZE_MISMATCH', `blob ${desc.digest} in ${this.displayName} has ${loc.size} bytes, expected ${desc.size}`);
    if (offset >= desc.size) return Readable.from([]);
    return this.#tar!.stream(loc.dataOffset + offset, desc.size - offset, { signal: options.signal });
  }

  /** storedSize is how many bytes the bundle holds for a blob, or undefined when it holds none. */
  async storedSize(desc: Pick<Descriptor, 'digest'>): Promise<number | undefined> {
    if (this.#dir !== undefined) {
      const st = await stat(this.#dir.blobPath(desc)).catch(() => undefined);
      return st?.isFile() === true ? st.size : undefined;
    }
    return this.#entries.get(blobEntryName(desc))?.size;
  }

  /** readRange reads `length` bytes of a blob at `offset` in one piece (for chunk verification). */
  readRangeStream(desc: Descriptor, offset: number, length: number, signal?: AbortSignal): Promise<Readable> | Readable {
    if (this.#dir !== undefined) return this.#dir.fetch(desc, { offset, signal });
    const loc = this.#entries.get(blobEntryName(desc));
    if (loc === undefined) throw new AirbundleError('BLOB_NOT_FOUND', `blob ${desc.digest} is missing from ${this.displayName}`);
    return this.#tar!.stream(loc.dataOffset + offset, length, { signal });
  }

  /** locate names the file and offset that hold byte `offsetInBlob` of a blob. */
  locate(desc: Descriptor, offsetInBlob: number): PhysicalLocation {
    if (this.#dir !== undefined) return { file: this.#dir.blobPath(desc), offset: offsetInBlob };
    const loc = this.#entries.get(blobEntryName(desc));
    let pos = (loc?.dataOffset ?? 0) + offsetInBlob;
    let frame: number | undefined;
    if (this.#zstd !== undefined) {
      const f = this.#zstd.frameAt(pos);
      pos = f.compressedOffset;
      frame = f.index;
    }
    if (this.volumes !== undefined) {
      const v = this.volumes.locate(pos);
      return { file: v.path, offset: v.offsetInPart, ...(frame !== undefined ? { frame } : {}) };
    }
    return { file: this.path, offset: pos, ...(frame !== undefined ? { frame } : {}) };
  }

  /** hasEntry tells whether the archive holds a blob entry for the digest (directory: whether the file exists). */
  async hasBlob(desc: Descriptor): Promise<boolean> {
    return this.exists(desc);
  }

  async close(): Promise<void> {
    await this.#tar?.close();
  }
}

/**
 * listEntries maps each regular file of the tar, by its normalised name, to where its body is. A name seen twice
 * is refused: `tar -x` keeps the last copy, another tool the first, so which bytes are "the" bundle.json or blob
 * would depend on the tool.
 */
async function listEntries(tar: RandomAccessReader, path: string): Promise<Map<string, EntryLocation>> {
  const entries = new Map<string, EntryLocation & { headerOffset: number }>();
  for await (const e of walkTar(tar)) {
    const name = posix.normalize(e.name);
    const first = entries.get(name);
    if (first !== undefined) {
      throw new AirbundleError('ARCHIVE_CORRUPT', `${path} holds the entry ${name} twice (headers at offsets ${first.headerOffset} and ${e.headerOffset}): the archive is hostile or damaged`, {
        hint: 'get the bundle again from its publisher; do not extract this file',
        details: { entry: name, offsets: [first.headerOffset, e.headerOffset] },
      });
    }
    entries.set(name, { dataOffset: e.dataOffset, size: e.size, headerOffset: e.headerOffset });
  }
  return entries;
}

function blobEntryName(desc: Pick<Descriptor, 'digest'>): string {
  return `${BLOBS_DIR}/${desc.digest.slice('sha256:'.length)}`;
}

function parseManifest(bytes: Buffer, path: string): BundleManifest {
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString('utf8'));
  } catch (err) {
    throw new AirbundleError('BUNDLE_CORRUPT', `${BUNDLE_MANIFEST_FILE} in ${path} is not valid JSON: ${errorMessage(err)}`, {
      hint: 'the bundle is damaged or was edited; get a fresh copy',
    });
  }
  validateBundleManifest(value);
  const problems = blobTableProblems(value);
  if (problems.length > 0) {
    throw new AirbundleError('BUNDLE_CORRUPT', `${BUNDLE_MANIFEST_FILE} in ${path} has an inconsistent blob table: ${problems.slice(0, 5).join('; ')}${problems.length > 5 ? `; and ${problems.length - 5} more` : ''}`, {
      hint: 'the bundle was written by another tool or edited by hand; get it again from its publisher',
    });
  }
  return value;
}
