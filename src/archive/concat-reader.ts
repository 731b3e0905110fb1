import { Readable } from 'node:stream';
import { checkRange } from './file-reader.js';
import type { RandomAccessReader, StreamOptions } from './random-access.js';

/** ConcatReader sees several readers (volumes) as one virtual file, without joining them on disk. */
export class ConcatReader implements RandomAccessReader {
  readonly size: number;
  readonly #parts: RandomAccessReader[];
  /** Start offset of each part in the virtual file. */
  readonly #starts: number[];

  constructor(parts: RandomAccessReader[]) {
    this.#parts = parts;
    this.#starts = [];
    let pos = 0;
    for (const p of parts) {
      this.#starts.push(pos);
      pos += p.size;
    }
    this.size = pos;
  }

  /** partAt returns the index of the part holding byte `position` and the offset inside it. */
  partAt(position: number): { index: number; offset: number } {
    let lo = 0;
    let hi = this.#starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.#starts[mid]! <= position) lo = mid;
      else hi = mid - 1;
    }
    return { index: lo, offset: position - this.#starts[lo]! };
  }

  async read(position: number, length: number): Promise<Buffer> {
    checkRange(this, position, length);
    const pieces: Buffer[] = [];
    for (const [part, offset, len] of this.#spans(position, length)) pieces.push(await part.read(offset, len));
    return pieces.length === 1 ? pieces[0]! : Buffer.concat(pieces);
  }

  stream(position: number, length: number, options: StreamOptions = {}): Readable {
    checkRange(this, position, length);
    const spans = [...this.#spans(position, length)];
    async function* pieces(): AsyncGenerator<Buffer> {
      for (const [part, offset, len] of spans) {
        for await (const piece of part.stream(offset, len, options)) yield piece as Buffer;
      }
    }
    return Readable.from(pieces(), { objectMode: false });
  }

  *#spans(position: number, length: number): Generator<[RandomAccessReader, number, number]> {
    let pos = position;
    const end = position + length;
    while (pos < end) {
      const { index, offset } = this.partAt(pos);
      const part = this.#parts[index]!;
      const len = Math.min(part.size - offset, end - pos);
      if (len > 0) yield [part, offset, len];
      pos += len;
      if (len === 0) pos = this.#starts[index + 1] ?? end;
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.#parts.map((p) => p.close()));
  }
}
