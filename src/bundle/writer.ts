import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat, open as openFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DEFAULT_ZSTD_LEVEL } from '../archive/seekable-zstd-format.js';
import { createSeekableZstdWriter } from '../archive/seekable-zstd-writer.js';
import { TAR_BLOCK, padded } from '../archive/tar-header.js';
import { createTarStream, type TarEntrySource } from '../archive/tar-writer.js';
import { createVolumeWriter } from '../archive/volume-writer.js';
import { encodeParts } from '../archive/parts.js';
import type { Descriptor } from '../content/descriptor.js';
import { parseDigest } from '../content/digest.js';
import { LayoutStore } from '../content/layout-store.js';
import { progressStream } from '../content/progress-stream.js';
import type { ReadOnlyStorage } from '../content/storage.js';
import { verifyStream } from '../content/verify-stream.js';
import { AirbundleError } from '../errors.js';
import { noProgress, type ProgressSink } from '../progress/events.js';
import { removeStaleTemps, tempPathFor, writeFileAtomic } from '../util/fs-atomic.js';
import {
  BLOBS_DIR,
  BUNDLE_MANIFEST_FILE,
  BUNDLE_SIGNATURE_FILE,
  INDEX_FILE,
  OCI_LAYOUT_CONTENT,
  OCI_LAYOUT_FILE,
  PARTS_SUFFIX,
} from './layout.js';
import { blobOrder, type BundleManifest } from './manifest.js';

/** BundleForm is the physical form of a bundle (DESIGN §4). */
export type BundleForm = 'dir' | 'tar' | 'tar.zst';

/** formForPath picks the form from the output name: `.tar.zst`, `.tar`, else a directory. */
export function formForPath(out: string): BundleForm {
  if (out.endsWith('.tar.zst')) return 'tar.zst';
  if (out.endsWith('.tar')) return 'tar';
  return 'dir';
}

/** WriteBundleOptions for {@link writeBundle}. */
export interface WriteBundleOptions {
  out: string;
  volumeSize?: number;
  zstdLevel?: number;
  manifest: BundleManifest;
  manifestBytes: Buffer;
  signature?: Buffer;
  index: Buffer;
  /** Serves every blob listed in the manifest. */
  storage: ReadOnlyStorage;
  onEvent?: ProgressSink;
  signal?: AbortSignal;
}

/** WrittenBundle says where the bundle went. */
export interface WrittenBundle {
  out: string;
  form: BundleForm;
  /** Files written: the archive, or the volumes and the parts list; the directory for the dir form. */
  files: string[];
  /** Bytes written to disk. */
  bytes: number;
}

/**
 * writeBundle writes a bundle in the form its name asks for. Every blob is read from `storage` and verified
 * against its digest on the way in. Archives are written under a temp name and renamed when complete; volumes
 * each land by rename and the parts list is written last, so a reader never sees half a bundle.
 */
export async function writeBundle(options: WriteBundleOptions): Promise<WrittenBundle> {
  const form = formForPath(options.out);
  if (options.volumeSize !== undefined && form === 'dir') {
    throw new AirbundleError('USAGE', `--volume-size needs an archive output (.tar or .tar.zst), not the directory ${options.out}`);
  }
  await mkdir(dirname(options.out), { recursive: true });
  const onEvent = options.onEvent ?? noProgress;
  const total = options.manifest.blobs.reduce((n, b) => n + b.size, 0);
  onEvent({ type: 'phase-start', phase: 'write', title: `Write ${basename(options.out)}`, total });
  const result = form === 'dir' ? await writeDirectory(options, onEvent) : await writeArchive(options, form, onEvent);
  onEvent({ type: 'phase-end', phase: 'write', title: `Write ${basename(options.out)}` });
  return result;
}

function headFiles(options: WriteBundleOptions): Array<[string, Buffer]> {
  const files: Array<[string, Buffer]> = [
    [OCI_LAYOUT_FILE, Buffer.from(OCI_LAYOUT_CONTENT)],
    [BUNDLE_MANIFEST_FILE, options.manifestBytes],
  ];
  if (options.signature !== undefined) files.push([BUNDLE_SIGNATURE_FILE, options.signature]);
  files.push([INDEX_FILE, options.index]);
  return files;
}

function blobDescriptors(manifest: BundleManifest): Descriptor[] {
  return blobOrder(manifest.blobs).map((b) => ({ mediaType: b.mediaType, digest: parseDigest(b.digest), size: b.size }));
}

/** openVerified opens a blob from storage through the verifying stream, reporting progress. */
function openVerified(options: WriteBundleOptions, desc: Descriptor, onEvent: ProgressSink): () => Promise<Readable> {
  return async () => {
    let done = 0;
    const item = desc.digest;
    onEvent({ type: 'item-start', phase: 'write', item, total: desc.size });
    const src = await options.storage.fetch(desc, { signal: options.signal });
    const verified = src.pipe(verifyStream(desc)).pipe(
      progressStream((n) => {
        done += n;
        onEvent({ type: 'bytes', phase: 'write', item, done, total: desc.size });
      }),
    );
    src.on('error', (err) => verified.destroy(err));
    verified.on('end', () => onEvent({ type: 'item-end', phase: 'write', item }));
    return verified;
  };
}

async function writeDirectory(options: WriteBundleOptions, onEvent: ProgressSink): Promise<WrittenBundle> {
  // Blobs land one by one (each atomically) in a staging directory that a re-run resumes; the finished
  // directory replaces any previous one by rename.
  const staging = `${options.out}.partial`;
  const store = await LayoutStore.open(staging, { create: true });
  let bytes = 0;
  for (const desc of blobDescriptors(options.manifest)) {
    if (await store.exists(desc)) {
      onEvent({ type: 'item-end', phase: 'write', item: desc.digest, cached: true });
      bytes += desc.size;
      continue;
    }
    const open = openVerified(options, desc, onEvent);
    await store.push(desc, async () => open(), { signal: options.signal });
    bytes += desc.size;
  }
  for (const [name, data] of headFiles(options)) {
    await writeFileAtomic(join(staging, name), data);
    bytes += data.length;
  }
  if (options.signature === undefined) await rm(join(staging, BUNDLE_SIGNATURE_FILE), { force: true });
  await rm(join(staging, 'ingest'), { recursive: true, force: true });
  const previous = await stat(options.out).catch(() => undefined);
  if (previous !== undefined) {
    const old = tempPathFor(options.out);
    await rename(options.out, old);
    await rename(staging, options.out);
    await rm(old, { recursive: true, force: true });
  } else {
    await rename(staging, options.out);
  }
  return { out: options.out, form: 'dir', files: [options.out], bytes };
}

/** Bodies at least this large get zstd frames of their own. */
const OWN_FRAMES_FROM = 256 * 1024;

/**
 * bodyCuts returns the tar offsets where large bodies start and where the header after them starts, so the
 * seekable writer gives each large blob frames of its own: a damaged frame then names one blob, and never
 * hides the tar headers that locate the others.
 */
function bodyCuts(entries: TarEntrySource[]): number[] {
  const cuts: number[] = [];
  let pos = 0;
  for (const e of entries) {
    const body = pos + TAR_BLOCK;
    const next = body + padded(e.size);
    if (e.size >= OWN_FRAMES_FROM) cuts.push(body, next);
    pos = next;
  }
  return cuts;
}

async function writeArchive(options: WriteBundleOptions, form: 'tar' | 'tar.zst', onEvent: ProgressSink): Promise<WrittenBundle> {
  const entries: TarEntrySource[] = [
    ...headFiles(options).map(([name, data]) => ({ name, size: data.length, open: async () => Readable.from([data]) })),
    ...blobDescriptors(options.manifest).map((desc) => ({
      name: `${BLOBS_DIR}/${desc.digest.slice('sha256:'.length)}`,
      size: desc.size,
      open: openVerified(options, desc, onEvent),
    })),
  ];
  const tar = createTarStream(entries);
  const stages: Array<NodeJS.ReadableStream | NodeJS.ReadWriteStream> = [tar];
  if (form === 'tar.zst') stages.push(createSeekableZstdWriter({ level: options.zstdLevel ?? DEFAULT_ZSTD_LEVEL, cutAt: bodyCuts(entries) }));

  if (options.volumeSize !== undefined) {
    const writer = createVolumeWriter({ basePath: options.out, volumeSize: options.volumeSize });
    await pipeline([...stages, writer] as unknown as [Readable, Writable], { signal: options.signal });
    const parts = writer.result();
    const partsPath = `${options.out}${PARTS_SUFFIX}`;
    await writeFileAtomic(partsPath, encodeParts({ format: form === 'tar' ? 'tar' : 'tar+zstd', volumeSize: options.volumeSize, ...parts }));
    await rm(options.out, { force: true });
    return {
      out: options.out,
      form,
      files: [...parts.volumes.map((v) => join(dirname(options.out), v.name)), partsPath],
      bytes: parts.totalSize,
    };
  }

  // A build killed while writing left its partial archive under a temp name; it cannot be resumed, so free its space.
  await removeStaleTemps(options.out);
  const tmp = tempPathFor(options.out);
  try {
    await pipeline([...stages, createWriteStream(tmp)] as unknown as [Readable, Writable], { signal: options.signal });
    const fh = await openFile(tmp, 'r');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, options.out);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
  const size = (await stat(options.out)).size;
  return { out: options.out, form, files: [options.out], bytes: size };
}
