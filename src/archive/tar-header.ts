import { AirbundleError } from '../errors.js';

/** TAR_BLOCK is the tar record unit: headers and padded bodies are multiples of it. */
export const TAR_BLOCK = 512;

/** TarHeader is what the reader needs from a header block. */
export interface TarHeader {
  name: string;
  size: number;
  /** '0' regular file, '5' directory, 'x' PAX, 'g' global PAX, 'L' GNU long name, … */
  type: string;
  /** Target of a hard link ('1') or symbolic link ('2'); empty for other entries. */
  linkName: string;
}

/** padded returns `size` rounded up to a whole number of tar blocks. */
export function padded(size: number): number {
  return Math.ceil(size / TAR_BLOCK) * TAR_BLOCK;
}

/** isZeroBlock tells whether a header block is all zeros (end of archive). */
export function isZeroBlock(block: Buffer): boolean {
  for (let i = 0; i < block.length; i++) if (block[i] !== 0) return false;
  return true;
}

/**
 * decodeHeader parses a ustar / GNU header block, checking its checksum.
 * Reference: https://www.gnu.org/software/tar/manual/html_node/Standard.html
 */
export function decodeHeader(block: Buffer, offset: number): TarHeader {
  const stored = parseOctal(block.subarray(148, 156));
  let sum = 8 * 0x20;
  for (let i = 0; i < TAR_BLOCK; i++) if (i < 148 || i >= 156) sum += block[i]!;
  if (stored !== sum) {
    throw new AirbundleError('ARCHIVE_CORRUPT', `the tar header at offset ${offset} is damaged (checksum ${stored} ≠ ${sum})`, {
      hint: 'the archive was corrupted in transit or storage; get a fresh copy of the bundle (or of the volume holding that offset)',
    });
  }
  const name = cString(block.subarray(0, 100));
  const type = String.fromCharCode(block[156] || 0x30);
  const magic = block.subarray(257, 263).toString('latin1');
  const prefix = magic.startsWith('ustar') ? cString(block.subarray(345, 500)) : '';
  return { name: prefix !== '' ? `${prefix}/${name}` : name, size: parseNumeric(block.subarray(124, 136), offset), type, linkName: cString(block.subarray(157, 257)) };
}

/** parsePax reads `path`, `linkpath` and `size` from a PAX extended header body. */
export function parsePax(body: Buffer): { path?: string; linkPath?: string; size?: number } {
  const out: { path?: string; linkPath?: string; size?: number } = {};
  let pos = 0;
  while (pos < body.length) {
    const space = body.indexOf(0x20, pos);
    if (space < 0) break;
    const len = Number(body.subarray(pos, space).toString('latin1'));
    if (!Number.isInteger(len) || len <= 0) break;
    const record = body.subarray(space + 1, pos + len - 1).toString('utf8');
    const eq = record.indexOf('=');
    const key = record.slice(0, eq);
    const value = record.slice(eq + 1);
    if (key === 'path') out.path = value;
    if (key === 'linkpath') out.linkPath = value;
    if (key === 'size') out.size = Number(value);
    pos += len;
  }
  return out;
}

function cString(buf: Buffer): string {
  const end = buf.indexOf(0);
  return buf.subarray(0, end < 0 ? buf.length : end).toString('utf8');
}

function parseOctal(buf: Buffer): number {
  const text = cString(buf).trim();
  return text === '' ? 0 : parseInt(text, 8);
}

/** parseNumeric reads an octal field or a GNU base-256 one (sizes over 8 GiB). */
function parseNumeric(buf: Buffer, offset: number): number {
  if ((buf[0]! & 0x80) !== 0) {
    let value = 0;
    for (let i = 1; i < buf.length; i++) value = value * 256 + buf[i]!;
    return value;
  }
  const n = parseOctal(buf);
  if (!Number.isFinite(n)) throw new AirbundleError('ARCHIVE_CORRUPT', `the tar header at offset ${offset} has a bad size field`);
  return n;
}
