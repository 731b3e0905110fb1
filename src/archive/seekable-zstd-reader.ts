import { Readable } from 'node:stream';
import { AirbundleError, errorMessage } from '../errors.js';
import { BoundedDecompressor } from './bounded-decompress.js';
import { checkRange } from './file-reader.js';
import type { RandomAccessReader, StreamOptions } from './random-access.js';
import { FOOTER_SIZE, SEEKABLE_MAGIC, SEEK_TABLE_MAGIC, SKIPPABLE_HEADER_SIZE, ZSTD_MAGIC } from './seekable-zstd-format.js';

/** ArchiveFormat is what the first and last bytes of a file say it is. */
export type ArchiveFormat = 'tar' | 'zstd-seekable' | 'zstd' | 'unknown';

/** FrameInfo places one zstd frame in both the compressed file and the decompressed stream. */
export interface FrameInfo {
  index: number;
  compressedOffset: number;
  compressedSize: number;
  decompressedOffset: number;
  decompressedSize: number;
}

/** How many decompressed frames to keep (headers of neighbouring small entries share frames). */
const FRAME_CACHE = 4;
/**
 * Largest decompressed frame accepted (64 MiB; our writer makes 4 MiB frames). A frame is held whole in memory
 * while it is read, so a seek table claiming more is refused rather than trusted.
 */
export const MAX_FRAME_SIZE = 64 * 1024 * 1024;

/**
 * SeekableZstdReader is the decompressed view of a seekable zstd file: each range is served by decompressing
 * only the frames that hold it.
 */
export class SeekableZstdReader implements RandomAccessReader {
  readonly size: number;
  readonly frames: FrameInfo[];
  readonly #under: RandomAccessReader;
  readonly #cache = new Map<number, Buffer>();
  readonly #decompressor = new BoundedDecompressor();

  constructor(under: RandomAccessReader, frames: FrameInfo[]) {
    this.#under = under;
    this.frames = frames;
    const last = frames[frames.length - 1];
    this.size = last === undefined ? 0 : last.decompressedOffset + last.decompressedSize;
  }

  /** frameAt returns the frame holding decompressed byte `position`. */
  frameAt(position: number): FrameInfo {
    let lo = 0;
    let hi = this.frames.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.frames[mid]!.decompressedOffset <= position) lo = mid;
      else hi = mid - 1;
    }
    return this.frames[lo]!;
  }

  /** #frame returns a decompressed frame, keeping the last few for small reads that land in the same frames. */
  async #frame(info: FrameInfo, cache: boolean): Promise<Buffer> {
    const hit = this.#cache.get(info.index);
    if (hit !== undefined) return hit;
    const raw = await this.#under.read(info.compressedOffset, info.compressedSize);
    let out: Buffer;
    try {
      out = this.#decompressor.decompress(raw, info.decompressedSize);
    } catch (err) {
      throw frameError(info, errorMessage(err));
    }
    if (cache) {
      this.#cache.set(info.index, out);
      if (this.#cache.size > FRAME_CACHE) this.#cache.delete(this.#cache.keys().next().value as number);
    }
    return out;
  }

  async read(position: number, length: number): Promise<Buffer> {
    checkRange(this, position, length);
    const pieces: Buffer[] = [];
    for await (const piece of this.#pieces(position, length)) pieces.push(piece);
    return pieces.length === 1 ? pieces[0]! : Buffer.concat(pieces, length);
  }

  stream(position: number, length: number, options: StreamOptions = {}): Readable {
    checkRange(this, position, length);
    return Readable.from(this.#pieces(position, length, options.signal, false), { objectMode: false });
  }

  async *#pieces(position: number, length: number, signal?: AbortSignal, cache = true): AsyncGenerator<Buffer> {
    let pos = position;
    const end = position + length;
    while (pos < end) {
      signal?.throwIfAborted();
      const info = this.frameAt(pos);
      // Streams of large bodies read each frame once: they do not go through the small-read cache.
      const data = await this.#frame(info, cache);
      const from = pos - info.decompressedOffset;
      const to = Math.min(info.decompressedSize, end - info.decompressedOffset);
      yield data.subarray(from, to);
      pos = info.decompressedOffset + to;
    }
  }

  async close(): Promise<void> {
    this.#cache.clear();
    await this.#under.close();
  }
}

function frameError(info: FrameInfo, why: string): AirbundleError {
  return new AirbundleError('ARCHIVE_CORRUPT', `zstd frame ${info.index} (compressed bytes ${info.compressedOffset}–${info.compressedOffset + info.compressedSize - 1}) is damaged: ${why}`, {
    details: { frame: info.index, compressedOffset: info.compressedOffset },
  });
}

/** openSeekableZstdReader reads the seek table at the end of `under` and returns the decompressed view. */
export async function openSeekableZstdReader(under: RandomAccessReader): Promise<SeekableZstdReader> {
  const bad = (why: string): AirbundleError =>
    new AirbundleError('BUNDLE_UNREADABLE', `the seek table of the .tar.zst is damaged: ${why}`, { hint: 'get a fresh copy of the bundle (or of its last volume)' });
  if (under.size < FOOTER_SIZE + SKIPPABLE_HEADER_SIZE) throw bad('the file is too short');
  const footer = await under.read(under.size - FOOTER_SIZE, FOOTER_SIZE);
  if (footer.readUInt32LE(5) !== SEEKABLE_MAGIC) throw bad('no seekable magic at the end');
  const count = footer.readUInt32LE(0);
  const descriptor = footer.readUInt8(4);
  const entrySize = (descriptor & 0x80) !== 0 ? 12 : 8;
  const tableSize = count * entrySize + FOOTER_SIZE;
  const tableStart = under.size - tableSize - SKIPPABLE_HEADER_SIZE;
  if (tableStart < 0) throw bad(`it claims ${count} frames, more than the file can hold`);
  const head = await under.read(tableStart, SKIPPABLE_HEADER_SIZE);
  if (head.readUInt32LE(0) !== SEEK_TABLE_MAGIC || head.readUInt32LE(4) !== tableSize) throw bad('the skippable frame header does not match the footer');
  const table = await under.read(tableStart + SKIPPABLE_HEADER_SIZE, count * entrySize);
  const frames: FrameInfo[] = [];
  let c = 0;
  let d = 0;
  for (let i = 0; i < count; i++) {
    const compressedSize = table.readUInt32LE(i * entrySize);
    const decompressedSize = table.readUInt32LE(i * entrySize + 4);
    if (decompressedSize > MAX_FRAME_SIZE) throw bad(`frame ${i} claims ${decompressedSize} bytes, over the ${MAX_FRAME_SIZE / 1024 / 1024} MiB limit for one frame`);
    frames.push({ index: i, compressedOffset: c, compressedSize, decompressedOffset: d, decompressedSize });
    c += compressedSize;
    d += decompressedSize;
  }
  if (c !== tableStart) throw bad(`its frames add up to ${c} bytes, but the table starts at ${tableStart}`);
  return new SeekableZstdReader(under, frames);
}

/** sniffFormat tells a tar from a seekable zstd from a plain zstd file by their magic numbers. */
export async function sniffFormat(reader: RandomAccessReader): Promise<ArchiveFormat> {
  if (reader.size < 4) return 'unknown';
  const head = await reader.read(0, Math.min(512, reader.size));
  if (head.readUInt32LE(0) === ZSTD_MAGIC) {
    if (reader.size < FOOTER_SIZE) return 'zstd';
    const tail = await reader.read(reader.size - 4, 4);
    return tail.readUInt32LE(0) === SEEKABLE_MAGIC ? 'zstd-seekable' : 'zstd';
  }
  if (head.length >= 263 && head.subarray(257, 262).toString('latin1') === 'ustar') return 'tar';
  return 'unknown';
}
