import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, open, rename, rm } from 'node:fs/promises';
import { pipeline, Readable } from 'node:stream';
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
  // Only a regular file no longer than the blob is taken over; anything else there (a symlink, a directory,
  // an over-long file) is removed first, so the partial can never write through a link.
  const offset = st?.isFile() === true && st.size <= file.size ? st.size : 0;
  if (st !== undefined && offset === 0) await rm(partial, { recursive: true, force: true });
  try {
    return await attempt(storage, file, final, partial, offset, options);
  } catch (err) {
    if (options.signal?.aborted === true) throw abortedError(file.path, err);
    if (!isMismatch(err)) throw err; // kept: the next run resumes from the partial
    await rm(partial, { force: true });
    if (offset === 0) throw err;
  }
  // The bytes taken over were wrong (a torn write, another blob): start again, once.
  try {
    return await attempt(storage, file, final, partial, 0, options);
  } catch (err) {
    if (isMismatch(err)) await rm(partial, { force: true });
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
    // The callback form of pipeline returns the verifier and destroys it with the error of either stage.
    const checked = pipeline(body, verifyStream(fileDescriptor(file), { offset, hash, name: file.path }), () => undefined);
    // Each slice is on disk (in the page cache) before it is counted, so an interrupted run leaves a partial
    // file holding exactly what was reported; the verifier fails the loop at the end on a digest mismatch.
    for await (const piece of checked) {
      options.signal?.throwIfAborted();
      const buf = piece as Buffer;
      let at = 0;
      while (at < buf.length) at += (await fh.write(buf, at, buf.length - at)).bytesWritten;
      done += buf.length;
      options.onProgress?.(done);
    }
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
