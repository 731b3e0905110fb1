import { availableParallelism } from 'node:os';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { AirbundleError, errorMessage } from '../errors.js';

/** FrameCompressorOptions for {@link FrameCompressorPool}. */
export interface FrameCompressorOptions {
  /** zstd level. */
  level: number;
  /** Largest input of one frame, in bytes. */
  frameSize: number;
  /** Compressing threads; default {@link defaultThreads}. */
  threads?: number;
}

/** FrameSlot is a frame's input buffer, lent by the pool: fill `input` from the start, then submit it. */
export interface FrameSlot {
  readonly input: Uint8Array;
}

interface Slot extends FrameSlot {
  readonly index: number;
  readonly output: Uint8Array;
}

interface Job {
  slot: Slot;
  resolve: (frame: Buffer) => void;
  reject: (err: Error) => void;
}

/**
 * Worker body, as plain JavaScript (`eval`, so it loads the same way from `dist/` and from the TypeScript sources
 * under test): one zstd context with the frame parameters, compressing a slot's input into its output, both views
 * of the shared memory the worker gets once, so no frame is copied or allocated on the way and a job is three numbers.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const zstd = require(workerData.binding);
const cctx = new zstd.CCtx();
cctx.setParameter(zstd.CParameter.compressionLevel, workerData.level);
cctx.setParameter(zstd.CParameter.checksumFlag, 1);
cctx.setParameter(zstd.CParameter.contentSizeFlag, 1);
const { memory, slotSize, frameSize } = workerData;
parentPort.on('message', ({ id, slot, length }) => {
  try {
    const input = new Uint8Array(memory, slot * slotSize, length);
    const output = new Uint8Array(memory, slot * slotSize + frameSize, slotSize - frameSize);
    parentPort.postMessage({ id, size: cctx.compress2(output, input) });
  } catch (err) {
    parentPort.postMessage({ id, error: String(err && err.message || err) });
  }
});
`;

/** A worker holds one zstd context and small messages: a small heap keeps the build's memory flat (DESIGN §11). */
const WORKER_LIMITS = { maxOldGenerationSizeMb: 16, maxYoungGenerationSizeMb: 2 };

interface Reply {
  id: number;
  size?: number;
  error?: string;
}

/**
 * defaultThreads: one per core this process may use but one, at least 1 and at most 4. The main thread keeps a
 * core: it reads, hashes and writes every byte, and is the limit of a build (measured on 2 cores: a second
 * compressing thread made the build no faster, and cost 8 MiB of frames and a thread's heap). Beyond 4 the disk
 * is the limit.
 */
export function defaultThreads(): number {
  return Math.max(1, Math.min(4, availableParallelism() - 1));
}

/**
 * FrameCompressorPool compresses independent zstd frames on worker threads, so a build compresses on every core
 * while the main thread reads, hashes and writes. Frames are compressed with the same parameters as
 * `zstd-napi`'s `compress(input, { compressionLevel, checksumFlag: true, contentSizeFlag: true })`, so the bytes
 * are the same whichever thread made them, and a bundle is the same on any machine.
 *
 * Memory is fixed when the pool is made: one slot per thread and one more, in one SharedArrayBuffer, each an input of
 * `frameSize` and an output of zstd's bound for it. {@link acquire} waits for a free slot, which is how the pool
 * pushes back on a producer that outruns the threads. Workers start on the first submit and do not keep the
 * process alive.
 */
export class FrameCompressorPool {
  readonly #options: Required<FrameCompressorOptions>;
  readonly #memory: SharedArrayBuffer;
  readonly #free: Slot[] = [];
  readonly #waiting: Array<{ resolve: (slot: Slot) => void; reject: (err: Error) => void }> = [];
  readonly #jobs = new Map<number, Job>();
  #workers: Worker[] = [];
  #nextWorker = 0;
  #nextId = 0;
  #failure: Error | undefined;
  readonly #slotSize: number;

  constructor(options: FrameCompressorOptions) {
    const threads = options.threads ?? defaultThreads();
    this.#options = { ...options, threads };
    const outputSize = compressBound(options.frameSize);
    const slotSize = options.frameSize + outputSize;
    this.#slotSize = slotSize;
    // One slot per thread compressing, plus one being filled meanwhile: enough to keep every thread busy.
    const slots = threads + 1;
    this.#memory = new SharedArrayBuffer(slots * slotSize);
    for (let index = 0; index < slots; index++) {
      const base = index * slotSize;
      this.#free.push({ index, input: new Uint8Array(this.#memory, base, options.frameSize), output: new Uint8Array(this.#memory, base + options.frameSize, outputSize) });
    }
  }

  /** acquire lends a free slot, waiting for one if every slot is being compressed. */
  async acquire(): Promise<FrameSlot> {
    if (this.#failure !== undefined) throw this.#failure;
    const slot = this.#free.pop();
    if (slot !== undefined) return slot;
    return new Promise<Slot>((resolve, reject) => this.#waiting.push({ resolve, reject }));
  }

  /** submit compresses the first `length` bytes of the slot's input into one frame, then gives the slot back. */
  submit(frameSlot: FrameSlot, length: number): Promise<Buffer> {
    const slot = frameSlot as Slot;
    if (this.#failure !== undefined) return Promise.reject(this.#failure);
    if (this.#workers.length === 0) this.#start();
    const id = this.#nextId++;
    return new Promise<Buffer>((resolve, reject) => {
      this.#jobs.set(id, { slot, resolve, reject });
      const worker = this.#workers[this.#nextWorker++ % this.#workers.length]!;
      worker.postMessage({ id, slot: slot.index, length });
    });
  }

  /** close stops the threads; frames not yet compressed are rejected. */
  async close(): Promise<void> {
    this.#fail(new AirbundleError('ABORTED', 'the frame compressor was closed'));
    const workers = this.#workers;
    this.#workers = [];
    await Promise.all(workers.map((w) => w.terminate()));
  }

  #start(): void {
    const binding = createRequire(import.meta.url).resolve('zstd-napi/binding');
    for (let i = 0; i < this.#options.threads; i++) {
      const workerData = { binding, level: this.#options.level, memory: this.#memory, slotSize: this.#slotSize, frameSize: this.#options.frameSize };
      const worker = new Worker(WORKER_SOURCE, { eval: true, workerData, resourceLimits: WORKER_LIMITS });
      worker.unref();
      worker.on('message', (reply: Reply) => this.#done(reply));
      worker.on('error', (err) => this.#fail(new AirbundleError('INTERNAL', `zstd worker failed: ${errorMessage(err)}`, { cause: err })));
      worker.on('exit', (code) => {
        if (this.#workers.includes(worker)) this.#fail(new AirbundleError('INTERNAL', `zstd worker exited (code ${code})`));
      });
      this.#workers.push(worker);
    }
  }

  #done(reply: Reply): void {
    const job = this.#jobs.get(reply.id);
    if (job === undefined) return;
    this.#jobs.delete(reply.id);
    if (reply.error !== undefined || reply.size === undefined) {
      job.reject(new AirbundleError('INTERNAL', `zstd compression failed: ${reply.error ?? 'no size'}`));
    } else {
      // The frame leaves the shared memory before its slot is lent again.
      job.resolve(Buffer.from(job.slot.output.subarray(0, reply.size)));
    }
    this.#release(job.slot);
  }

  #release(slot: Slot): void {
    const waiter = this.#waiting.shift();
    if (waiter !== undefined) waiter.resolve(slot);
    else this.#free.push(slot);
  }

  #fail(err: Error): void {
    this.#failure ??= err;
    for (const job of this.#jobs.values()) job.reject(this.#failure);
    this.#jobs.clear();
    for (const waiter of this.#waiting.splice(0)) waiter.reject(this.#failure);
  }
}

/** compressBound is zstd's worst case for `size` input bytes (ZSTD_COMPRESSBOUND). */
function compressBound(size: number): number {
  return size + (size >>> 8) + (size < 128 * 1024 ? (128 * 1024 - size) >>> 11 : 0);
}
