import type { FileHandle } from 'node:fs/promises';

/** FileAppenderOptions for {@link FileAppender}. */
export interface FileAppenderOptions {
  /** Bytes gathered before one write (default 256 KiB: what a kill may lose, like a socket buffer). */
  batchBytes?: number;
  /** Bytes written between two background flushes to disk (default 64 MiB; 0: never). */
  flushEveryBytes?: number;
  /** Called with each batch once it is on the file, in order (hash it here: the hash then describes the file). */
  onWritten?: (batch: Buffer[], bytes: number) => void;
}

/**
 * FileAppender writes a stream of slices at the end of an open file, fast and in order:
 * - slices are gathered into batches written with one `writev` each (no copy), and the next batch is gathered
 *   while the previous one is written, so the producer (a socket) never waits for the disk between slices;
 * - every `flushEveryBytes` it starts a `datasync` in the background, so the kernel writes the data out while
 *   more arrives, instead of all of it at the final fsync (which a long download or a bundle write would
 *   otherwise spend waiting, the disk idle until then).
 * At most one write and one flush are in flight; `append` waits when a batch is full and the previous write has
 * not finished, which is the back-pressure. `onWritten` sees exactly the bytes on the file, in order.
 */
export class FileAppender {
  readonly #fh: FileHandle;
  readonly #batchBytes: number;
  readonly #flushEvery: number;
  readonly #onWritten: ((batch: Buffer[], bytes: number) => void) | undefined;
  #position: number;
  #batch: Buffer[] = [];
  #batchSize = 0;
  #writing: Promise<void> = Promise.resolve();
  #flushing: Promise<void> = Promise.resolve();
  #sinceFlush = 0;
  #flushBusy = false;

  /** `position` is where the next byte goes (the file's current size when appending). */
  constructor(fh: FileHandle, position: number, options: FileAppenderOptions = {}) {
    this.#fh = fh;
    this.#position = position;
    this.#batchBytes = options.batchBytes ?? 256 * 1024;
    this.#flushEvery = options.flushEveryBytes ?? 64 * 1024 * 1024;
    this.#onWritten = options.onWritten;
  }

  /** append queues a slice; it is written with its batch. The caller must not change it afterwards. */
  async append(data: Buffer): Promise<void> {
    this.#batch.push(data);
    this.#batchSize += data.length;
    if (this.#batchSize >= this.#batchBytes) await this.#startWrite();
  }

  /** drain writes what is queued and waits for every write (not for the flushes: see {@link sync}). */
  async drain(): Promise<void> {
    await this.#startWrite();
    await this.#writing;
  }

  /** sync drains, then makes everything durable (fsync). */
  async sync(): Promise<void> {
    await this.drain();
    await this.#flushing;
    await this.#fh.sync();
  }

  async #startWrite(): Promise<void> {
    await this.#writing;
    if (this.#batchSize === 0) return;
    const batch = this.#batch;
    const bytes = this.#batchSize;
    const position = this.#position;
    this.#batch = [];
    this.#batchSize = 0;
    this.#position += bytes;
    this.#writing = this.#write(batch, bytes, position);
    // A failed write is reported by the next append, drain or sync, which await it.
    this.#writing.catch(() => undefined);
  }

  async #write(batch: Buffer[], bytes: number, position: number): Promise<void> {
    let buffers = batch;
    let at = position;
    for (let left = bytes; left > 0; ) {
      const { bytesWritten } = await this.#fh.writev(buffers, at);
      left -= bytesWritten;
      at += bytesWritten;
      if (left > 0) buffers = skip(buffers, bytesWritten);
    }
    this.#onWritten?.(batch, bytes);
    this.#sinceFlush += bytes;
    // One flush at a time: while one runs, the bytes written meanwhile wait for the next (or for sync).
    if (this.#flushEvery > 0 && this.#sinceFlush >= this.#flushEvery && !this.#flushBusy) {
      this.#sinceFlush = 0;
      this.#flushBusy = true;
      this.#flushing = this.#fh.datasync().finally(() => {
        this.#flushBusy = false;
      });
      this.#flushing.catch(() => undefined);
    }
  }
}

/** skip drops the first `n` bytes of a list of buffers (after a short writev). */
function skip(buffers: Buffer[], n: number): Buffer[] {
  const out: Buffer[] = [];
  let left = n;
  for (const b of buffers) {
    if (left >= b.length) {
      left -= b.length;
      continue;
    }
    out.push(left > 0 ? b.subarray(left) : b);
    left = 0;
  }
  return out;
}
