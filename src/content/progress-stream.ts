import { PassThrough, Transform, type TransformCallback } from 'node:stream';

/** progressStream passes bytes through and reports each slice's length to `onBytes` (a no-op pass-through without it). */
export function progressStream(onBytes: ((n: number) => void) | undefined): Transform {
  if (onBytes === undefined) return new PassThrough();
  return new Transform({
    transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback) {
      onBytes(chunk.length);
      cb(null, chunk);
    },
  });
}
