import { createHash, type Hash } from 'node:crypto';
import type { Digest } from '../content/digest.js';

/**
 * ChunkHasher hashes a blob whole and in fixed-size chunks in one pass: the whole digest names the blob, the
 * chunk digests let verify work in parallel and name the exact corrupt window (DESIGN §4).
 */
export class ChunkHasher {
  readonly chunkSize: number;
  readonly #whole: Hash = createHash('sha256');
  #chunk: Hash = createHash('sha256');
  #inChunk = 0;
  #size = 0;
  readonly #chunks: Digest[] = [];

  constructor(chunkSize: number) {
    this.chunkSize = chunkSize;
  }

  /** update feeds the next bytes of the blob. */
  update(data: Buffer): void {
    this.#whole.update(data);
    this.#size += data.length;
    let pos = 0;
    while (pos < data.length) {
      const take = Math.min(this.chunkSize - this.#inChunk, data.length - pos);
      this.#chunk.update(pos === 0 && take === data.length ? data : data.subarray(pos, pos + take));
      this.#inChunk += take;
      pos += take;
      if (this.#inChunk === this.chunkSize) {
        this.#chunks.push(`sha256:${this.#chunk.digest('hex')}` as Digest);
        this.#chunk = createHash('sha256');
        this.#inChunk = 0;
      }
    }
  }

  /** digest ends the pass: the whole-blob digest, its size, and chunk digests (empty when size ≤ chunkSize). */
  digest(): { digest: Digest; size: number; chunks: Digest[] } {
    if (this.#inChunk > 0) this.#chunks.push(`sha256:${this.#chunk.digest('hex')}` as Digest);
    const digest = `sha256:${this.#whole.digest('hex')}` as Digest;
    return { digest, size: this.#size, chunks: this.#size > this.chunkSize ? this.#chunks : [] };
  }
}
