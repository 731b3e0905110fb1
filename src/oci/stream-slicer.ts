/**
 * StreamSlicer cuts one readable into consecutive slices of given lengths, so that a chunked upload reads its
 * source once instead of re-opening it for every chunk. A slice that ends early (the request failed) leaves the
 * slicer at an unknown position; the uploader then re-opens the source at the offset the registry reports.
 */
import { Readable } from 'node:stream';
import { AirbundleError } from '../errors.js';

/** StreamSlicer hands out consecutive slices of a source stream. */
export class StreamSlicer {
  readonly #source: Readable;
  readonly #iterator: AsyncIterator<Buffer>;
  #leftover: Buffer | undefined;

  constructor(source: Readable) {
    this.#source = source;
    this.#iterator = source[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  }

  /** slice returns a stream of the next `length` bytes; it fails if the source ends first. */
  slice(length: number): Readable {
    const next = async (): Promise<Buffer | undefined> => {
      const left = this.#leftover;
      this.#leftover = undefined;
      if (left !== undefined) return left;
      const r = await this.#iterator.next();
      return r.done === true ? undefined : r.value;
    };
    const keep = (rest: Buffer): void => {
      this.#leftover = rest;
    };
    async function* generate(): AsyncGenerator<Buffer> {
      let remaining = length;
      while (remaining > 0) {
        const buf = await next();
        if (buf === undefined) throw new AirbundleError('SIZE_MISMATCH', `source ended ${remaining} bytes before the end of a ${length}-byte chunk`);
        if (buf.length > remaining) {
          keep(buf.subarray(remaining));
          yield buf.subarray(0, remaining);
          return;
        }
        remaining -= buf.length;
        yield buf;
      }
    }
    return Readable.from(generate(), { objectMode: false });
  }

  /** close releases the source. */
  close(): void {
    this.#source.destroy();
  }
}
