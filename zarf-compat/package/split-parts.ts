/**
 * Split Zarf packages (`zarf package create --max-package-size`): `<tarball>.part001…partNNN` are consecutive byte
 * ranges of the one `.tar.zst`, and `<tarball>.part000` is JSON `{"Sha256Sum","Bytes","Count"}` (sha256 and size of
 * the whole tarball, number of data parts). Zarf reassembles them on disk and deletes the parts; zarf-compat reads
 * them in place as one virtual file.
 * Reference: zarf-dev/zarf src/internal/split/split.go (SplitFile, ReassembleFile).
 */
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { createReadStream, createWriteStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { AirbundleError } from '../../src/errors.js';

/** SplitMetadata is the JSON of `.part000`. */
export interface SplitMetadata {
  Sha256Sum: string;
  Bytes: number;
  Count: number;
}

/** SplitParts is a split package found on disk and checked against its metadata. */
export interface SplitParts {
  /** The tarball the parts were cut from: `zarf-package-x-amd64-1.0.0.tar.zst`. */
  base: string;
  meta: SplitMetadata;
  /** `.part001` … in order, with their sizes. */
  parts: Array<{ path: string; size: number }>;
}

const PART = /\.part(\d{3})$/;

/** isSplitPartName tells whether a path names a part of a split package. */
export function isSplitPartName(path: string): boolean {
  return PART.test(path);
}

/** partName is the path of part `index` of `base`. */
export function partName(base: string, index: number): string {
  return `${base}.part${String(index).padStart(3, '0')}`;
}

/** parseSplitMetadata reads `.part000`; ZARF_PACKAGE_CORRUPT unless it is Zarf's split metadata. */
export function parseSplitMetadata(bytes: Buffer, file: string): SplitMetadata {
  let doc: unknown;
  try {
    doc = JSON.parse(bytes.toString('utf8'));
  } catch {
    doc = undefined;
  }
  const m = doc as Partial<SplitMetadata> | undefined;
  if (m === undefined || typeof m.Sha256Sum !== 'string' || !Number.isSafeInteger(m.Bytes) || !Number.isSafeInteger(m.Count) || m.Count! < 1) {
    throw new AirbundleError('ZARF_PACKAGE_CORRUPT', `${file} is not the metadata of a split Zarf package ({"Sha256Sum","Bytes","Count"})`);
  }
  return m as SplitMetadata;
}

/**
 * openSplitParts finds every part of a split package from any one of its names, and checks, before anything is
 * read, that all `Count` parts are there and that their sizes add up to `Bytes`.
 */
export async function openSplitParts(anyPart: string): Promise<SplitParts> {
  const base = anyPart.replace(PART, '');
  const metaFile = partName(base, 0);
  const bytes = await readFile(metaFile).catch(() => {
    throw new AirbundleError('VOLUME_MISSING', `${metaFile} is missing: it holds the size and part count of the split package`, { hint: 'copy every .partNNN file of the package, .part000 included' });
  });
  const meta = parseSplitMetadata(bytes, metaFile);
  const parts: SplitParts['parts'] = [];
  for (let i = 1; i <= meta.Count; i += 1) {
    const path = partName(base, i);
    const info = await stat(path).catch(() => undefined);
    if (info === undefined) throw new AirbundleError('VOLUME_MISSING', `part ${path} is missing (${meta.Count} parts expected)`, { hint: 'copy every .partNNN file of the package' });
    parts.push({ path, size: info.size });
  }
  const extra = partName(base, meta.Count + 1);
  if ((await stat(extra).catch(() => undefined)) !== undefined) {
    throw new AirbundleError('VOLUME_MISMATCH', `${extra} exists, but ${metaFile} says the package has ${meta.Count} parts`, { hint: 'remove parts left over from another package' });
  }
  const total = parts.reduce((n, p) => n + p.size, 0);
  if (total !== meta.Bytes) {
    throw new AirbundleError('VOLUME_MISMATCH', `the ${meta.Count} parts of ${base} hold ${total} bytes, but ${metaFile} says ${meta.Bytes}: a part is truncated or from another package`);
  }
  return { base, meta, parts };
}

/**
 * splitPackage cuts a package file into Zarf's split format (`.part000` metadata plus parts of `partSize` bytes),
 * as `zarf package create --max-package-size` does, streaming; the original file is kept. Returns the part paths.
 */
export async function splitPackage(path: string, partSize: number): Promise<string[]> {
  if (!(partSize > 0)) throw new AirbundleError('USAGE', `part size must be positive, not ${partSize}`);
  const { size } = await stat(path);
  const hash = createHash('sha256');
  const out: string[] = [];
  let index = 0;
  let current: ReturnType<typeof createWriteStream> | undefined;
  let left = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: 1024 * 1024 })) {
    let buf = chunk as Buffer;
    hash.update(buf);
    while (buf.length > 0) {
      if (current === undefined || left === 0) {
        if (current !== undefined) await closeStream(current);
        index += 1;
        if (index > 999) throw new AirbundleError('USAGE', `${path} would need more than 999 parts of ${partSize} bytes`);
        const p = partName(path, index);
        out.push(p);
        current = createWriteStream(p);
        left = partSize;
      }
      const piece = buf.subarray(0, left);
      if (!current.write(piece)) await once(current, 'drain');
      left -= piece.length;
      buf = buf.subarray(piece.length);
    }
  }
  if (current !== undefined) await closeStream(current);
  const meta: SplitMetadata = { Sha256Sum: hash.digest('hex'), Bytes: size, Count: index };
  const metaPath = partName(path, 0);
  const w = createWriteStream(metaPath);
  w.end(JSON.stringify(meta));
  await once(w, 'close');
  return [metaPath, ...out];
}

async function closeStream(w: ReturnType<typeof createWriteStream>): Promise<void> {
  w.end();
  await once(w, 'close');
}
