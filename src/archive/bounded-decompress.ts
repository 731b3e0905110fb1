import binding from 'zstd-napi/binding.js';

/**
 * Largest window a frame may ask for (2^26 = 64 MiB, the largest frame the reader accepts; our frames are
 * 4 MiB). zstd's default limit is 2^27, and a frame asking for more is refused by zstd itself.
 */
const WINDOW_LOG_MAX = 26;

/**
 * BoundedDecompressor decompresses a zstd frame (or several back to back) into exactly the number of bytes
 * expected, into a buffer of that size, and stops as soon as the input would produce more. A frame's header may
 * claim any content size, or none, and a few kilobytes of RLE blocks can expand to gigabytes: memory stays at
 * what the caller expects, whatever the input says. Synchronous, like the one-shot `decompress` it replaces.
 */
export class BoundedDecompressor {
  readonly #dctx = new binding.DCtx();

  constructor() {
    this.#dctx.setParameter(binding.DParameter.windowLogMax, WINDOW_LOG_MAX);
  }

  /** decompress returns the `expected` bytes `input` holds; it throws an Error saying why otherwise. */
  decompress(input: Uint8Array, expected: number): Buffer {
    this.#dctx.reset(binding.ResetDirective.sessionOnly);
    // One spare byte: output that reaches it is output beyond what was expected.
    const out = Buffer.allocUnsafe(expected + 1);
    let produced = 0;
    let consumed = 0;
    let pending = 0;
    while (consumed < input.length) {
      const [hint, wrote, read] = this.#dctx.decompressStream(out.subarray(produced), input.subarray(consumed));
      produced += wrote;
      consumed += read;
      pending = hint;
      if (produced > expected) throw new Error(`it decompresses to more than the ${expected} bytes the seek table says (a decompression bomb, or damage)`);
      if (wrote === 0 && read === 0) break;
    }
    if (pending !== 0 || consumed < input.length) throw new Error('it ends in the middle of a zstd frame');
    if (produced !== expected) throw new Error(`it holds ${produced} bytes, the seek table says ${expected}`);
    return out.subarray(0, expected);
  }
}
