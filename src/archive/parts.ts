import { createHash } from 'node:crypto';
import { readFile, readdir, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { PARTS_SUFFIX } from '../bundle/layout.js';
import { AirbundleError, errorMessage } from '../errors.js';
import { canonicalJson } from '../util/canonical-json.js';
import { ConcatReader } from './concat-reader.js';
import { openFileReader, type FileReader } from './file-reader.js';
import { VOLUME_HEAD_SIZE, volumeName, type VolumeRecord } from './volume-writer.js';

export const PARTS_MEDIA_TYPE = 'application/vnd.airbundle.parts.v1+json';

/** PartsList is `NAME.parts.json`: the volumes of a bundle, in order, with their sizes and digests. */
export interface PartsList {
  mediaType: string;
  /** What the volumes hold once joined: a tar, or a seekable zstd of a tar. */
  format: 'tar' | 'tar+zstd';
  volumeSize: number;
  totalSize: number;
  volumes: VolumeRecord[];
}

/** encodeParts returns the canonical bytes of a parts list. */
export function encodeParts(parts: Omit<PartsList, 'mediaType'>): Buffer {
  return Buffer.from(canonicalJson({ mediaType: PARTS_MEDIA_TYPE, ...parts }));
}

/** OpenedVolumes is a set of volumes checked against their parts list and opened as one virtual file. */
export interface OpenedVolumes {
  reader: ConcatReader;
  parts: PartsList;
  /** The bundle path the volumes were cut from: `dir/b.tar.zst`. */
  basePath: string;
  /** Volumes whose first 64 KiB differ from the parts list (damaged or foreign); reads from them fail verification. */
  damaged: string[];
  /** locate maps a byte of the joined file to the volume file holding it. */
  locate(position: number): { path: string; offsetInPart: number };
}

/** basePathOf turns `b.tar.zst.parts.json` or `b.tar.zst.000` into `b.tar.zst`. */
export function basePathOf(path: string): string {
  if (path.endsWith(PARTS_SUFFIX)) return path.slice(0, -PARTS_SUFFIX.length);
  return path.replace(/\.\d{3,}$/, '');
}

/**
 * openVolumes opens the volumes of a bundle by any of their names. It checks, before reading anything else,
 * that every volume listed in the parts list is there, has its size, and is the volume it claims to be (the
 * sha256 of its first 64 KiB), so a missing, truncated, swapped or foreign volume is named at once.
 */
export async function openVolumes(path: string): Promise<OpenedVolumes> {
  const basePath = basePathOf(path);
  const dir = dirname(basePath);
  const partsPath = `${basePath}${PARTS_SUFFIX}`;
  const parts = await readParts(partsPath, basePath);
  const heads = new Map(parts.volumes.map((v, i) => [v.headSha256, i]));
  const readers: FileReader[] = [];
  const damaged: string[] = [];
  const paths: string[] = [];
  try {
    for (const [i, v] of parts.volumes.entries()) {
      const file = join(dir, v.name);
      const label = `volume ${v.name} (${i + 1} of ${parts.volumes.length})`;
      const st = await stat(file).catch(() => undefined);
      if (st === undefined) {
        throw new AirbundleError('VOLUME_MISSING', `${label} is missing from ${dir}`, {
          hint: `copy ${v.name} from the source media next to ${basename(partsPath)}, then run the command again`,
          details: { volume: v.name, index: i },
        });
      }
      const reader = await openFileReader(file);
      readers.push(reader);
      paths.push(file);
      const head = createHash('sha256').update(await reader.read(0, Math.min(VOLUME_HEAD_SIZE, reader.size))).digest('hex');
      if (head !== v.headSha256) {
        const other = heads.get(head);
        if (other !== undefined) {
          throw new AirbundleError('VOLUME_ORDER', `${label} holds the content of volume ${parts.volumes[other]!.name}: volumes were renamed or swapped`, {
            hint: 'give each volume back its own name (their order is in the .parts.json), or copy them again',
            details: { volume: v.name, holds: parts.volumes[other]!.name },
          });
        }
        // Not another volume of this bundle: damaged bytes (or a foreign volume). Reading goes on so that
        // verify can name the blob and chunk hit; every read is still checked against its digest.
        damaged.push(v.name);
      }
      if (reader.size !== v.size) {
        throw new AirbundleError('VOLUME_MISMATCH', `${label} has ${reader.size} bytes, the parts list says ${v.size}: it is ${reader.size < v.size ? 'truncated' : 'too long'}`, {
          hint: `copy ${v.name} again from the source media`,
          details: { volume: v.name, size: reader.size, expected: v.size },
        });
      }
    }
  } catch (err) {
    await Promise.all(readers.map((r) => r.close()));
    throw err;
  }
  const reader = new ConcatReader(readers);
  return {
    reader,
    parts,
    basePath,
    damaged,
    locate(position: number) {
      const { index, offset } = reader.partAt(position);
      return { path: paths[index]!, offsetInPart: offset };
    },
  };
}

/** readParts reads the parts list; without one, it lists `base.000`, `.001`, … as found (no checks possible). */
async function readParts(partsPath: string, basePath: string): Promise<PartsList> {
  const raw = await readFile(partsPath).catch(() => undefined);
  if (raw === undefined) return scanVolumes(basePath);
  let value: unknown;
  try {
    value = JSON.parse(raw.toString('utf8'));
  } catch (err) {
    throw new AirbundleError('BUNDLE_UNREADABLE', `${partsPath} is not valid JSON: ${errorMessage(err)}`, { hint: 'copy the .parts.json again' });
  }
  const p = value as Partial<PartsList>;
  if (p.mediaType !== PARTS_MEDIA_TYPE || !Array.isArray(p.volumes) || typeof p.volumeSize !== 'number') {
    throw new AirbundleError('BUNDLE_UNREADABLE', `${partsPath} is not an airbundle parts list`);
  }
  return p as PartsList;
}

async function scanVolumes(basePath: string): Promise<PartsList> {
  const names = new Set(await readdir(dirname(basePath)).catch(() => [] as string[]));
  const volumes: VolumeRecord[] = [];
  for (let i = 0; names.has(volumeName(basePath, i)); i++) {
    const file = join(dirname(basePath), volumeName(basePath, i));
    const size = (await stat(file)).size;
    const fh = await openFileReader(file);
    const head = createHash('sha256').update(await fh.read(0, Math.min(VOLUME_HEAD_SIZE, size))).digest('hex');
    await fh.close();
    volumes.push({ name: volumeName(basePath, i), size, sha256: '', headSha256: head });
  }
  if (volumes.length === 0) {
    throw new AirbundleError('BUNDLE_NOT_FOUND', `no volumes ${basename(basePath)}.000… and no ${basename(basePath)}${PARTS_SUFFIX} in ${dirname(basePath)}`);
  }
  const totalSize = volumes.reduce((n, v) => n + v.size, 0);
  return { mediaType: PARTS_MEDIA_TYPE, format: basePath.endsWith('.zst') ? 'tar+zstd' : 'tar', volumeSize: volumes[0]!.size, totalSize, volumes };
}
