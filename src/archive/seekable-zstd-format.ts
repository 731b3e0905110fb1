/**
 * Constants of the zstd seekable format.
 * Reference: https://github.com/facebook/zstd/blob/dev/contrib/seekable_format/zstd_seekable_compression_format.md
 */
export const ZSTD_MAGIC = 0xfd2fb528;
/** The seek table is a skippable frame with this magic. */
export const SEEK_TABLE_MAGIC = 0x184d2a5e;
/** Last 4 bytes of a seekable archive. */
export const SEEKABLE_MAGIC = 0x8f92eab1;
/** Footer: Number_Of_Frames (4), Seek_Table_Descriptor (1), Seekable_Magic_Number (4). */
export const FOOTER_SIZE = 9;
/** Skippable frame header: magic (4) + frame size (4). */
export const SKIPPABLE_HEADER_SIZE = 8;
/**
 * zstd level of .tar.zst bundles by default (DESIGN §4: a fast level). On bf16 weights levels 1 and 3 give the same
 * size (0.743 of the input) and level 1 takes about a third less CPU; on uncompressed tar layers level 3 is about
 * 10% smaller (0.35 against 0.39), but registries serve layers gzipped, which no level shrinks. `options.compression.level` overrides it.
 */
export const DEFAULT_ZSTD_LEVEL = 1;
/** Uncompressed bytes per frame by default: small enough to seek, large enough to compress well. */
export const DEFAULT_FRAME_SIZE = 4 * 1024 * 1024;

/** SeekEntry is one frame of the seek table. */
export interface SeekEntry {
  compressedSize: number;
  decompressedSize: number;
}

/** encodeSeekTable returns the skippable frame holding the seek table (no per-frame checksums). */
export function encodeSeekTable(entries: SeekEntry[]): Buffer {
  const body = entries.length * 8 + FOOTER_SIZE;
  const buf = Buffer.alloc(SKIPPABLE_HEADER_SIZE + body);
  buf.writeUInt32LE(SEEK_TABLE_MAGIC, 0);
  buf.writeUInt32LE(body, 4);
  let pos = SKIPPABLE_HEADER_SIZE;
  for (const e of entries) {
    buf.writeUInt32LE(e.compressedSize, pos);
    buf.writeUInt32LE(e.decompressedSize, pos + 4);
    pos += 8;
  }
  buf.writeUInt32LE(entries.length, pos);
  buf.writeUInt8(0, pos + 4);
  buf.writeUInt32LE(SEEKABLE_MAGIC, pos + 5);
  return buf;
}
