import { posix } from 'node:path';
import { AirbundleError } from '../errors.js';
import type { RandomAccessReader } from './random-access.js';
import { TAR_BLOCK, decodeHeader, isZeroBlock, padded, parsePax } from './tar-header.js';

/** TarEntry is a regular file in a tar: where its header and body are. */
export interface TarEntry {
  name: string;
  size: number;
  headerOffset: number;
  dataOffset: number;
}

/** Type flags of a regular file: '0', NUL (old tars) and '7' (contiguous file). */
const REGULAR = new Set(['0', '\0', '7']);
/** Type flags that describe the next entry (PAX, GNU long name and long link name) or the archive ('g'). */
const META = new Set(['x', 'g', 'L', 'K']);

/**
 * walkTar lists the regular files of a tar by reading headers only, jumping over bodies, so opening a
 * bundle of any size reads a few kilobytes. Understands ustar, PAX (`path`, `linkpath`, `size`) and GNU long
 * names. Nothing we read holds anything but regular files and directories, and a reader may be handed a hostile
 * archive that someone will also `tar -x`: an entry with an absolute name or a `..` segment, or a link whose
 * target leaves the archive root, is refused with PATH_ESCAPE; any other link, device or FIFO entry with
 * ARCHIVE_CORRUPT.
 */
export async function* walkTar(reader: RandomAccessReader): AsyncGenerator<TarEntry> {
  let pos = 0;
  let longName: string | undefined;
  let longLink: string | undefined;
  let paxSize: number | undefined;
  for (;;) {
    if (pos + TAR_BLOCK > reader.size) {
      throw new AirbundleError('ARCHIVE_CORRUPT', `the archive ends at ${reader.size} bytes, in the middle of its entries: it is truncated`, {
        hint: 'copy the bundle again; if it is in volumes, check that the last volume is complete',
      });
    }
    const block = await reader.read(pos, TAR_BLOCK);
    if (isZeroBlock(block)) return;
    const header = decodeHeader(block, pos);
    const dataOffset = pos + TAR_BLOCK;
    const size = paxSize ?? header.size;
    if (dataOffset + size > reader.size) {
      throw new AirbundleError('ARCHIVE_CORRUPT', `entry ${header.name} at offset ${pos} runs past the end of the archive (${reader.size} bytes): it is truncated`);
    }
    if (META.has(header.type)) {
      if (header.type !== 'g') {
        const body = await reader.read(dataOffset, header.size);
        if (header.type === 'L') longName = body.toString('utf8').replace(/\0+$/, '');
        else if (header.type === 'K') longLink = body.toString('utf8').replace(/\0+$/, '');
        else {
          const pax = parsePax(body);
          if (pax.path !== undefined) longName = pax.path;
          if (pax.linkPath !== undefined) longLink = pax.linkPath;
          if (pax.size !== undefined) paxSize = pax.size;
        }
      }
      pos = dataOffset + padded(header.size);
      continue;
    }
    const name = longName ?? header.name;
    checkEntry(name, header.type, longLink ?? header.linkName, pos);
    if (REGULAR.has(header.type)) yield { name, size, headerOffset: pos, dataOffset };
    longName = undefined;
    longLink = undefined;
    paxSize = undefined;
    pos = dataOffset + padded(size);
  }
}

/** checkEntry refuses an entry that is neither a regular file nor a directory, or whose name or target escapes. */
function checkEntry(name: string, type: string, linkName: string, offset: number): void {
  const escape = (why: string): AirbundleError =>
    new AirbundleError('PATH_ESCAPE', `tar entry ${JSON.stringify(name)} at offset ${offset} ${why}: the archive is hostile or damaged`, {
      hint: 'do not extract this file; get the bundle again from its publisher',
      details: { entry: name, offset, ...(linkName !== '' ? { linkName } : {}) },
    });
  if (name.startsWith('/')) throw escape('has an absolute name');
  if (name.split('/').includes('..')) throw escape('has a ".." segment in its name');
  if (REGULAR.has(type) || type === '5') return;
  const kind = type === '2' ? 'symbolic link' : type === '1' ? 'hard link' : undefined;
  if (kind !== undefined) {
    // A symlink's target is relative to its directory; a hard link's, to the archive root.
    const target = type === '2' && !linkName.startsWith('/') ? posix.join(posix.dirname(name), linkName) : linkName;
    if (leavesRoot(target)) throw escape(`is a ${kind} to ${JSON.stringify(linkName)}, outside the archive root`);
  }
  throw new AirbundleError('ARCHIVE_CORRUPT', `tar entry ${JSON.stringify(name)} at offset ${offset} is a ${kind ?? `special file (type ${JSON.stringify(type)})`}${kind !== undefined ? ` to ${JSON.stringify(linkName)}` : ''}: a bundle holds regular files only`, {
    hint: 'this archive was not written by bundle build; get the bundle again from its publisher',
    details: { entry: name, offset, type },
  });
}

/** leavesRoot tells whether an archive path is absolute or climbs above the root with `..`. */
function leavesRoot(path: string): boolean {
  if (path.startsWith('/')) return true;
  const normal = posix.normalize(path);
  return normal === '..' || normal.startsWith('../');
}
