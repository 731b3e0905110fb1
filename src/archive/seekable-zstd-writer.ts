import { Transform, type TransformCallback } from 'node:stream';
import { compress } from 'zstd-napi';
import { DEFAULT_FRAME_SIZE, encodeSeekTable, type SeekEntry } from './seekable-zstd-format.js';

/** SeekableZstdWriterOptions for {@link createSeekableZstdWriter}. */
export interface SeekableZstdWriterOptions {
  /** zstd level (default 3). */
  level?: number;
  /** Uncompressed bytes per frame (default 4 MiB). */
  frameSize?: number;
  /**
   * Offsets of the input at which a frame must end, in increasing order (e.g. where the body of a large tar
   * entry starts and ends), so that damage to a body frame never hides a tar header, and no frame mixes two blobs.
   */
  cutAt?: readonly number[];
}

/**
 * createSeekableZstdWriter compresses a stream into independent zstd frames of `frameSize` input bytes each,
 * (ending early at each `cutAt` offset), then appends the seek table, so a reader can decompress any range by reading only the frames that hold it.
 * Plain `zstd -d` reads the result as an ordinary multi-frame file. Holds at most one frame in memory.
 */
export function createSeekableZstdWriter(options: SeekableZstdWriterOptions = {}): Transform {
  const frameSize = options.frameSize ?? DEFAULT_FRAME_SIZE;
  const params = { compressionLevel: options.level ?? 3, checksumFlag: true, contentSizeFlag: true };
  const table: SeekEntry[] = [];
  const cuts = [...(options.cutAt ?? [])];
  let pending: Buffer[] = [];
  let pendingSize = 0;
  /** Input offset at which the pending frame starts. */
  let frameStart = 0;
  /** nextLimit is how many bytes the pending frame may hold: up to the frame size or the next cut. */
  const nextLimit = (): number => {
    while (cuts.length > 0 && cuts[0]! <= frameStart) cuts.shift();
    return cuts.length > 0 ? Math.min(frameSize, cuts[0]! - frameStart) : frameSize;
  };

  const emitFrame = (self: Transform, input: Buffer): void => {
    const frame = compress(input, params);
    table.push({ compressedSize: frame.length, decompressedSize: input.length });
    frameStart += input.length;
    self.push(frame);
  };

  return new Transform({
    highWaterMark: frameSize,
    transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback) {
      try {
        let data = chunk;
        let limit = nextLimit();
        while (pendingSize + data.length >= limit) {
          const take = limit - pendingSize;
          pending.push(data.subarray(0, take));
          data = data.subarray(take);
          emitFrame(this, pending.length === 1 ? pending[0]! : Buffer.concat(pending, limit));
          limit = nextLimit();
          pending = [];
          pendingSize = 0;
        }
        if (data.length > 0) {
          // Copy: the caller may reuse its buffer once this callback returns.
          pending.push(Buffer.from(data));
          pendingSize += data.length;
        }
        cb();
      } catch (err) {
        cb(err as Error);
      }
    },
    flush(cb: TransformCallback) {
      try {
        if (pendingSize > 0) emitFrame(this, Buffer.concat(pending, pendingSize));
        this.push(encodeSeekTable(table));
        cb();
      } catch (err) {
        cb(err as Error);
      }
    },
  });
}
