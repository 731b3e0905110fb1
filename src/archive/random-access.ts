import type { Readable } from 'node:stream';

/** StreamOptions for {@link RandomAccessReader.stream}. */
export interface StreamOptions {
  signal?: AbortSignal;
}

/**
 * RandomAccessReader reads any byte range of a virtual file: a plain file, volumes seen as one file, or the
 * decompressed view of a seekable zstd archive. `read` is for small pieces (headers); `stream` for bodies.
 */
export interface RandomAccessReader {
  readonly size: number;
  /** read returns exactly `length` bytes at `position`, or fails. */
  read(position: number, length: number): Promise<Buffer>;
  /** stream yields exactly `length` bytes at `position`, piece by piece, without holding them all. */
  stream(position: number, length: number, options?: StreamOptions): Readable;
  close(): Promise<void>;
}
