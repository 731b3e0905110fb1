/** TailBuffer keeps the last `max` bytes pushed into it: bounded memory for a command's output, the end being what explains a failure. */
export class TailBuffer {
  readonly #max: number;
  #chunks: Buffer[] = [];
  #size = 0;
  #dropped = false;

  constructor(max: number) {
    this.#max = max;
  }

  push(chunk: Buffer): void {
    this.#chunks.push(chunk);
    this.#size += chunk.length;
    while (this.#size - this.#chunks[0]!.length >= this.#max) {
      this.#size -= this.#chunks.shift()!.length;
      this.#dropped = true;
    }
  }

  /** The kept bytes as UTF-8, cut to `max` bytes, prefixed with `…` when earlier output was dropped. */
  toString(): string {
    const all = Buffer.concat(this.#chunks);
    const cut = all.length > this.#max;
    const tail = cut ? all.subarray(all.length - this.#max) : all;
    return (this.#dropped || cut ? '…' : '') + tail.toString('utf8');
  }
}
