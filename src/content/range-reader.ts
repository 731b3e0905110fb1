import { Readable, Transform, type TransformCallback } from 'node:stream';
import type { Descriptor } from './descriptor.js';
import type { Fetcher } from './storage.js';

/** RangeReader can read `length` bytes of a blob from `offset` without reading to its end. */
export interface RangeReader {
  readRangeStream(desc: Descriptor, offset: number, length: number, signal?: AbortSignal): Promise<Readable> | Readable;
}

/** isRangeReader tells whether a store can read bounded ranges itself. */
export function isRangeReader(value: object): value is RangeReader {
  return typeof (value as Partial<RangeReader>).readRangeStream === 'function';
}

/** readRange reads a bounded range of a blob, natively when the store can, else by cutting a fetch short. */
export async function readRange(store: Fetcher, desc: Descriptor, offset: number, length: number, signal?: AbortSignal): Promise<Readable> {
  if (length === 0) return Readable.from([]);
  if (isRangeReader(store)) return store.readRangeStream(desc, offset, length, signal);
  const src = await store.fetch(desc, { offset, signal });
  if (offset + length >= desc.size) return src;
  let left = length;
  const limit = new Transform({
    transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback) {
      if (left <= 0) return cb();
      const piece = chunk.length <= left ? chunk : chunk.subarray(0, left);
      left -= piece.length;
      this.push(piece);
      if (left === 0) {
        this.push(null);
        src.destroy();
      }
      cb();
    },
  });
  src.on('error', (err) => limit.destroy(err));
  return src.pipe(limit);
}
