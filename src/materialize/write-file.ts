import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, open, rename, rm } from 'node:fs/promises';
import { Readable, Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Descriptor } from '../content/descriptor.js';
import type { Fetcher } from '../content/storage.js';
import { verifyStream } from '../content/verify-stream.js';
import { AirbundleError, errorMessage, isAirbundleError } from '../errors.js';
import type { PlannedFile } from './materialize-plan.js';

const READ_HWM = 1024 * 1024;

/** WriteFileOptions for {@link writePlannedFile}. */
export interface WriteFileOptions {
  signal?: AbortSignal;
  /** Running count of this file's bytes on disk (including bytes taken over from an interrupted run). */
  onProgress?: (done: number) => void;
}

/** openFileSource opens the bytes of a planned file from `offset`: a blob of the store, or its inline bytes. */
export async function openFileSource(storage: Fetcher, file: PlannedFile, offset: number, signal?: AbortSignal): Promise<Readable> {
  if (file.source.kind === 'inline') return Readable.from([file.source.bytes.subarray(offset)]);
  return storage.fetch(file.source.desc, { offset, signal });
}

/** fileDescriptor is the descriptor a planned file's content must match. */
export function fileDescriptor(file: PlannedFile): Descriptor {
  return { mediaType: file.source.kind === 'blob' ? file.source.desc.mediaType : 'application/octet-stream', digest: file.digest, size: file.size };
}

/**
 * writePlannedFile writes one file under its partial name, verifying it against its digest while it streams
 * from the store (verifyStream), fsyncs it and renames it to `final`; only verified content ever has the
 * final name. A partial left by an interrupted run is taken over: its bytes are hashed again (reading the
 * local disk is cheaper than reading and decompressing the bundle) and only the rest is read from the store.
 * If the taken-over bytes turn out wrong, the file is written once more from the start. Returns the number of
 * bytes read from the store.
 */
export async function writePlannedFile(storage: Fetcher, file: PlannedFile, final: string, partial: string, options: WriteFileOptions = {}): Promise<number> {
  const st = await lstat(partial).catch(() => undefined);
  let offset = st?.isFile() === true && st.size <= file.size ? st.size : 0;
  if (st !== undefined && offset === 0) await rm(partial, { recursive: true, force: true });
  try {
    return await attempt(storage, file, final, partial, offset, options);
  } catch (err) {
    if (options.signal?.aborted === true) throw abortedError(file.path, err);
    if (isMismatch(err)) {
      await rm(partial, { force: true });
      if (offset > 0) {
        offset = 0;
        return attempt(storage, file, final, partial, 0, options).catch(async (again: unknown) => {
          if (isMismatch(again)) await rm(partial, { force: true });
          throw again;
        });
      }
    }
    throw err;
  }
}

async function attempt(storage: Fetcher, file: PlannedFile, final: string, partial: string, offset: number, options: WriteFileOptions): Promise<number> {
  const hash = createHash('sha256');
  if (offset > 0) {
    for await (const piece of createReadStream(partial, { end: offset - 1, highWaterMark: READ_HWM, signal: options.signal })) hash.update(piece as Buffer);
  }
  let done = offset;
  options.onProgress?.(done);
  const fh = await open(partial, offset > 0 ? 'a' : 'w', 0o644);
  try {
    const body = await openFileSource(storage, file, offset, options.signal);
    const count = new Transform({
      transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback) {
        done += chunk.length;
        options.onProgress?.(done);
        cb(null, chunk);
      },
    });
    await pipeline(body, verifyStream(fileDescriptor(file), { offset, hash, name: file.path }), count, fh.createWriteStream({ autoClose: false, highWaterMark: READ_HWM }), {
      signal: options.signal,
    });
    await fh.sync();
  } catch (err) {
    if (options.signal?.aborted === true) throw abortedError(file.path, err);
    if (isAirbundleError(err)) throw err;
    throw new AirbundleError('TARGET_WRITE', `${file.path}: ${errorMessage(err)}`, { cause: err, hint: 'check the target directory (space, permissions) and run again: it resumes' });
  } finally {
    await fh.close();
  }
  await rename(partial, final);
  return done - offset;
}

/** abortedError is the ABORTED error for a cancelled write; the partial file stays for the next run. */
export function abortedError(what: string, cause?: unknown): AirbundleError {
  if (isAirbundleError(cause, 'ABORTED')) return cause;
  return new AirbundleError('ABORTED', `${what}: cancelled`, { cause, hint: 'run the same command again: it resumes where it stopped' });
}

function isMismatch(err: unknown): boolean {
  return isAirbundleError(err, 'DIGEST_MISMATCH') || isAirbundleError(err, 'SIZE_MISMATCH');
}
