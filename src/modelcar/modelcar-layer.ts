import { posix } from 'node:path';
import { pipeline, Readable, Transform, type TransformCallback } from 'node:stream';
import { createTarStream, type TarEntrySource } from '../archive/tar-writer.js';
import { ANNOTATION_MODEL_FILE_METADATA } from '../bundle/layout.js';
import type { Descriptor } from '../content/descriptor.js';
import type { Digest } from '../content/digest.js';
import type { Fetcher } from '../content/storage.js';
import { hashStream, verifyStream } from '../content/verify-stream.js';
import { AirbundleError } from '../errors.js';
import type { ModelFileLayer } from '../materialize/model-files.js';

/** MODELCAR_MODEL_DIR is where KServe looks for the model inside a modelcar image: `/models`. */
export const MODELCAR_MODEL_DIR = 'models';
/** MODELCAR_PROVENANCE_FILE is the provenance document inside the layer, beside (not inside) `/models`. */
export const MODELCAR_PROVENANCE_FILE = 'airbundle/modelcar-provenance.json';
/** Media type of the model layer: an uncompressed tar (weights do not compress; a gzip stream would tie the digest to one zlib). */
export const MT_MODELCAR_LAYER = 'application/vnd.oci.image.layer.v1.tar';

/**
 * modelcarLayerEntries lists the entries of the model layer, sorted by name (parents before children): the
 * directories, every model file as `models/<filepath>` read from `storage` and verified against its digest as it
 * streams, and the provenance document. Same files, same entries, so the same tar bytes on every run.
 */
export function modelcarLayerEntries(storage: Fetcher, files: ModelFileLayer[], provenance: Buffer, signal?: AbortSignal): TarEntrySource[] {
  const entries = new Map<string, TarEntrySource>();
  const dir = (name: string): void => {
    if (!entries.has(`${name}/`)) entries.set(`${name}/`, { name: `${name}/`, size: 0, type: 'directory', mode: 0o755, open: async () => Readable.from([]) });
  };
  const parents = (path: string): void => {
    for (let d = posix.dirname(path); d !== '.'; d = posix.dirname(d)) dir(d);
  };
  for (const f of files) {
    const name = `${MODELCAR_MODEL_DIR}/${f.path}`;
    if (entries.has(name)) throw new AirbundleError('PATH_CONFLICT', `two layers of the model claim ${f.path}`, { details: { path: f.path } });
    parents(name);
    entries.set(name, {
      name,
      size: f.desc.size,
      mode: fileMode(f.desc),
      open: async () => pipeline(await storage.fetch(f.desc, { signal }), verifyStream(f.desc, { name: f.path }), () => undefined),
    });
  }
  dir(MODELCAR_MODEL_DIR);
  parents(MODELCAR_PROVENANCE_FILE);
  entries.set(MODELCAR_PROVENANCE_FILE, { name: MODELCAR_PROVENANCE_FILE, size: provenance.length, open: async () => Readable.from([provenance]) });
  for (const name of entries.keys()) {
    const parent = name.endsWith('/') ? undefined : entries.get(`${name}/`);
    if (parent !== undefined) throw new AirbundleError('PATH_CONFLICT', `${name} is both a file and a directory of the model`, { details: { path: name } });
  }
  return [...entries.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** fileMode keeps the executable bit a ModelPack file metadata annotation records; 0644 otherwise. */
function fileMode(desc: Descriptor): number {
  const raw = desc.annotations?.[ANNOTATION_MODEL_FILE_METADATA];
  if (raw === undefined) return 0o644;
  try {
    const mode = (JSON.parse(raw) as { mode?: unknown }).mode;
    return typeof mode === 'number' && (mode & 0o111) !== 0 ? 0o755 : 0o644;
  } catch {
    return 0o644;
  }
}

/**
 * openLayer streams the layer tar from byte `offset` (the tar is generated again from the start and the first
 * `offset` bytes are dropped: nothing is spooled, so a resumed upload costs a re-read, never disk).
 */
export function openLayer(entries: TarEntrySource[], offset = 0): Readable {
  const tar = createTarStream(entries);
  if (offset === 0) return tar;
  let skip = offset;
  const cut = new Transform({
    transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback) {
      if (skip >= chunk.length) {
        skip -= chunk.length;
        return cb();
      }
      const rest = chunk.subarray(skip);
      skip = 0;
      cb(null, rest);
    },
  });
  return pipeline(tar, cut, () => undefined);
}

/**
 * measureLayer is the first of the two passes: it streams the whole layer through sha256 and returns its digest
 * and size (the layer's diff_id too, as it is not compressed). Memory stays flat whatever the model's size.
 */
export async function measureLayer(entries: TarEntrySource[], onBytes?: (n: number) => void): Promise<{ digest: Digest; size: number }> {
  let result: { digest: Digest; size: number } | undefined;
  const hasher = hashStream((digest, size) => {
    result = { digest, size };
  });
  const tar = openLayer(entries);
  tar.on('error', (err) => hasher.destroy(err));
  for await (const chunk of tar.pipe(hasher)) onBytes?.((chunk as Buffer).length);
  if (result === undefined) throw new AirbundleError('INTERNAL', 'the modelcar layer was not measured');
  return result;
}
