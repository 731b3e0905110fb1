import { Transform, type TransformCallback } from 'node:stream';
import { FrameCompressorPool, type FrameSlot } from './frame-compressor-pool.js';
import { DEFAULT_FRAME_SIZE, DEFAULT_ZSTD_LEVEL, encodeSeekTable, type SeekEntry } from './seekable-zstd-format.js';

/** SeekableZstdWriterOptions for {@link createSeekableZstdWriter}. */
export interface SeekableZstdWriterOptions {
  /** zstd level (default {@link DEFAULT_ZSTD_LEVEL}). */
  level?: number;
  /** Uncompressed bytes per frame (default 4 MiB). */
  frameSize?: number;
  /**
   * Offsets of the input at which a frame must end, in increasing order (e.g. where the body of a large tar
   * entry starts and ends), so that damage to a body frame never hides a tar header, and no frame mixes two blobs.
   */
  cutAt?: readonly number[];
  /** Compressing threads (default: one per core but one, 1 to 4). The output is the same for any number. */
  threads?: number;
}

/**
 * createSeekableZstdWriter compresses a stream into independent zstd frames of `frameSize` input bytes each,
 * (ending early at each `cutAt` offset), then appends the seek table, so a reader can decompress any range by reading only the frames that hold it.
 * Plain `zstd -d` reads the result as an ordinary multi-frame file.
 *
 * Frames are compressed on worker threads ({@link FrameCompressorPool}), several at once, and leave in input
 * order. Input is copied straight into the pool's frame buffers; memory is those buffers (a frame in and out per
 * thread, and one more) plus the frames waiting to be read, whatever the size of the stream.
 */
export function createSeekableZstdWriter(options: SeekableZstdWriterOptions = {}): Transform {
  const frameSize = options.frameSize ?? DEFAULT_FRAME_SIZE;
  const pool = new FrameCompressorPool({ level: options.level ?? DEFAULT_ZSTD_LEVEL, frameSize, ...(options.threads !== undefined ? { threads: options.threads } : {}) });
  const table: SeekEntry[] = [];
  const cuts = [...(options.cutAt ?? [])];
  let slot: FrameSlot | undefined;
  let filled = 0;
  /** Input offset at which the frame being filled starts. */
  let frameStart = 0;
  /** Frames leave in order: each one's push is chained after the previous one's. */
  let sent: Promise<void> = Promise.resolve();
  /** The first failure to compress a frame: it stops the input at the next write. */
  let failure: Error | undefined;
  /** nextLimit is how many bytes the frame being filled may hold: up to the frame size or the next cut. */
  const nextLimit = (): number => {
    while (cuts.length > 0 && cuts[0]! <= frameStart) cuts.shift();
    return cuts.length > 0 ? Math.min(frameSize, cuts[0]! - frameStart) : frameSize;
  };

  const submit = (self: Transform): void => {
    const size = filled;
    const frame = pool.submit(slot!, size);
    // Handled below, in order; without this, a frame rejected before its turn (close on destroy) would be an
    // unhandled rejection, which ends the process.
    frame.catch(() => undefined);
    slot = undefined;
    filled = 0;
    frameStart += size;
    sent = sent.then(async () => {
      const compressed = await frame;
      table.push({ compressedSize: compressed.length, decompressedSize: size });
      self.push(compressed);
    });
    sent.catch((err: unknown) => {
      failure ??= err instanceof Error ? err : new Error(String(err));
    });
  };

  const write = async (self: Transform, chunk: Buffer): Promise<void> => {
    let data = chunk;
    while (data.length > 0) {
      if (failure !== undefined) throw failure;
      slot ??= await pool.acquire();
      const take = Math.min(nextLimit() - filled, data.length);
      slot.input.set(data.subarray(0, take), filled);
      filled += take;
      data = data.subarray(take);
      if (filled === nextLimit()) submit(self);
    }
  };

  return new Transform({
    highWaterMark: frameSize,
    transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback) {
      write(this, chunk).then(() => cb(failure), cb);
    },
    flush(cb: TransformCallback) {
      if (filled > 0) submit(this);
      sent
        .then(() => {
          this.push(encodeSeekTable(table));
          return pool.close();
        })
        .then(() => cb(), cb);
    },
    destroy(err: Error | null, cb: (error: Error | null) => void) {
      pool.close().then(() => cb(err), () => cb(err));
    },
  });
}
