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

/**
 * walkTar lists the regular files of a tar by reading headers only, jumping over bodies, so opening a
 * bundle of any size reads a few kilobytes. Understands ustar, PAX (`path`, `size`) and GNU long names.
 */
export async function* walkTar(reader: RandomAccessReader): AsyncGenerator<TarEntry> {
  let pos = 0;
  let longName: string | undefined;
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
    if (header.type === 'x' || header.type === 'L') {
      const body = await reader.read(dataOffset, header.size);
      if (header.type === 'L') longName = body.toString('utf8').replace(/\0+$/, '');
      else {
        const pax = parsePax(body);
        if (pax.path !== undefined) longName = pax.path;
        if (pax.size !== undefined) paxSize = pax.size;
      }
      pos = dataOffset + padded(header.size);
      continue;
    }
    if (header.type === '0' || header.type === '\0' || header.type === '7') {
      yield { name: longName ?? header.name, size, headerOffset: pos, dataOffset };
    }
    longName = undefined;
    paxSize = undefined;
    pos = dataOffset + padded(size);
  }
}
