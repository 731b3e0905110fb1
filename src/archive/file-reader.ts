import { open, type FileHandle } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { AirbundleError } from '../errors.js';
import type { RandomAccessReader, StreamOptions } from './random-access.js';

/** Bytes read per step when streaming a range. */
const PIECE = 1024 * 1024;

/** FileReader is a {@link RandomAccessReader} over one file, read with positional reads on one handle. */
export class FileReader implements RandomAccessReader {
  readonly path: string;
  readonly size: number;
  readonly #fh: FileHandle;

  constructor(path: string, fh: FileHandle, size: number) {
    this.path = path;
    this.#fh = fh;
    this.size = size;
  }

  async read(position: number, length: number): Promise<Buffer> {
    checkRange(this, position, length);
    const buf = Buffer.allocUnsafe(length);
    let got = 0;
    while (got < length) {
      const { bytesRead } = await this.#fh.read(buf, got, length - got, position + got);
      if (bytesRead === 0) throw new AirbundleError('ARCHIVE_CORRUPT', `${this.path} ended at ${position + got}, before the ${length} bytes asked for at ${position}`);
      got += bytesRead;
    }
    return buf;
  }

  stream(position: number, length: number, options: StreamOptions = {}): Readable {
    checkRange(this, position, length);
    const fh = this.#fh;
    const path = this.path;
    async function* pieces(): AsyncGenerator<Buffer> {
      let pos = position;
      const end = position + length;
      while (pos < end) {
        options.signal?.throwIfAborted();
        const want = Math.min(PIECE, end - pos);
        const buf = Buffer.allocUnsafe(want);
        const { bytesRead } = await fh.read(buf, 0, want, pos);
        if (bytesRead === 0) throw new AirbundleError('ARCHIVE_CORRUPT', `${path} ended at ${pos}, before the end of the range asked for`);
        pos += bytesRead;
        yield bytesRead === want ? buf : buf.subarray(0, bytesRead);
      }
    }
    return Readable.from(pieces(), { objectMode: false, highWaterMark: PIECE });
  }

  async close(): Promise<void> {
    await this.#fh.close().catch(() => undefined);
  }
}

/** openFileReader opens a file for random access. */
export async function openFileReader(path: string): Promise<FileReader> {
  const fh = await open(path, 'r').catch((err: unknown) => {
    throw new AirbundleError('BUNDLE_NOT_FOUND', `cannot open ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, { cause: err });
  });
  const { size } = await fh.stat();
  return new FileReader(path, fh, size);
}

/** checkRange refuses a range outside the file. */
export function checkRange(reader: { size: number }, position: number, length: number): void {
  if (position < 0 || length < 0 || position + length > reader.size) {
    throw new AirbundleError('ARCHIVE_CORRUPT', `range ${position}+${length} is outside the ${reader.size} bytes of the archive: it is truncated or damaged`);
  }
}
