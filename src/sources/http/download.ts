/**
 * Resumable HTTP download into the content cache (DESIGN §5).
 *
 * Bytes stream into `partial/<keyOf(url)>`, next to a sidecar `partial/<keyOf(url)>.json` that records the
 * validators (ETag, Last-Modified) and the size of the response they came from. Each slice is hashed (whole blob
 * and chunk windows) right after it is written, so the hasher always describes exactly the bytes on disk and a
 * retry can carry on from there. A rerun after a kill re-hashes the partial file once, streaming. Resuming sends
 * `Range: bytes=N-` with `If-Range`: a 206 appends, a 200 (the file changed) restarts from zero.
 *
 * The body is read with a plain reader loop into a FileAppender (256 KiB batches, one written while the next
 * arrives, flushed to disk every 64 MiB so the final fsync does not wait for the whole file), rather than
 * `Readable.fromWeb` + `pipeline`: stream buffers are discarded when a stream errors, so bytes that had arrived
 * before a disconnect would be lost and downloaded again; on a disconnect the batch in hand is written first.
 *
 * When the size is known beforehand (from a listing) or from an earlier response, no GET asks for more than
 * `maxGetBytes` (default {@link MAX_GET_BYTES}): a larger file is fetched as a run of `Range: bytes=A-B` windows,
 * each one a resumable step, because CDNs in front of model hubs refuse a single GET over 50 GB
 * (huggingface_hub `MAX_HTTP_DOWNLOAD_SIZE`, https://github.com/huggingface/huggingface_hub/issues/3868). A server
 * that ignores Range (200) is taken whole, from zero. Redirects are followed by hand (follow-redirects.ts), so
 * `credentials` never leave the origin of the URL. A connection that sends nothing for `idleTimeoutMs` (a stalled
 * server, a flow a middlebox dropped silently) is abandoned and retried from the bytes on disk (idle-watchdog.ts).
 *
 * When the body is complete, the digest is checked against the pin; a mismatch deletes the partial. A verified
 * partial is fsynced, made read-only and renamed into `blobs/sha256/<hex>` (the partial directory is the ingest
 * directory, on the same file system), so a blob path holds verified content or nothing, without copying
 * multi-GB files a second time.
 * Reference: https://www.rfc-editor.org/rfc/rfc9110#name-range-requests
 */
import { createReadStream } from 'node:fs';
import { chmod, mkdir, open, readFile, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ChunkHasher } from '../../cache/chunk-hasher.js';
import { ContentCache } from '../../cache/content-cache.js';
import { READ_HWM } from '../../content/layout-store.js';
import type { Digest } from '../../content/digest.js';
import { AirbundleError } from '../../errors.js';
import { FileAppender } from '../../util/file-appender.js';
import { formatSeconds, watchIdle, type IdleWatchdog } from '../../util/idle-watchdog.js';
import { writeFileAtomic } from '../../util/fs-atomic.js';
import { VERSION } from '../../version.js';
import { fetchFollowingRedirects, type Followed } from './follow-redirects.js';
import { rootMessage, socketCode } from '../../util/network-errors.js';

/** Most bytes asked for in one GET when the size is known: 10 GiB, well under the 50 GB CDNs allow. */
export const MAX_GET_BYTES = 10 * 1024 ** 3;

/** Validators identify one version of a URL's content (RFC 9110 §8.8). */
export interface Validators {
  etag?: string;
  lastModified?: string;
}

/** RetryPolicy bounds retries of transient failures (5xx, 408, 429, resets, timeouts, cut bodies). */
export interface RetryPolicy {
  /** Attempts in a row that make no progress before giving up. Default 4. */
  attempts?: number;
  /** First backoff; it doubles per failure, with jitter, up to 10 s. `Retry-After` wins when sent. Default 500. */
  baseMs?: number;
}

/** DownloadOptions for {@link download}. */
export interface DownloadOptions {
  /** http(s) URL without fragment. */
  url: string;
  /** What is being downloaded, for messages: `model "llama"`. */
  label: string;
  cache: ContentCache;
  chunkSize: number;
  /** Digest the content must have (the pin); without it any content is accepted. */
  expected?: Digest;
  /** Validators of a cached copy: sent as If-None-Match / If-Modified-Since, and a 304 ends the download. */
  revalidate?: Validators;
  signal?: AbortSignal;
  /** Called with the bytes on disk so far (including resumed ones) and the expected total (0 when unknown). */
  onBytes?: (done: number, total: number) => void;
  onRetry?: (attempt: number, reason: string, waitMs: number) => void;
  retry?: RetryPolicy;
  /** Headers for the origin of `url` only (Authorization): dropped on a redirect to another origin. */
  credentials?: Record<string, string>;
  /** A connection that sends nothing for this long is dropped and the download retried from where it is. Default: idle-watchdog.ts's (120 s). */
  idleTimeoutMs?: number;
  /** Size the content must have, known beforehand (a listing): the first GET may then be a window too. */
  size?: number;
  /** Most bytes asked for in one GET once the size is known. Default {@link MAX_GET_BYTES}. */
  maxGetBytes?: number;
  /**
   * An extra check of the complete file (a digest other than sha256, say) before it enters the cache. Throw to
   * reject it: the partial file is deleted and the error passed on.
   */
  verify?: (file: { path: string; digest: Digest; size: number }) => Promise<void>;
  /** Describes a refusal (a status other than 200/206/304/416) better than the generic SOURCE_HTTP_STATUS; undefined keeps that. */
  describeStatus?: (res: Response, servedBy: string) => AirbundleError | undefined;
  /**
   * Called with the verified blob and its validators just before it enters the cache, so that what the caller
   * records about it is on disk first: a run killed in between then finds the record and a complete partial
   * (nothing is fetched again), never the blob without its record.
   */
  beforeCommit?: (blob: DownloadedBlob) => Promise<void>;
}

/** DownloadedBlob is a blob now in `cache.blobs`, with its chunk digests and the validators it was served with. */
export interface DownloadedBlob extends Validators {
  digest: Digest;
  size: number;
  chunks: Digest[];
}

/** DownloadOutcome is a new blob, or word that the cached copy named in `revalidate` is still current. */
export type DownloadOutcome = { status: 'downloaded'; blob: DownloadedBlob } | { status: 'not-modified' };

/** download fetches `url` into the cache's blob store, resuming and retrying as described at the top of this file. */
export async function download(opts: DownloadOptions): Promise<DownloadOutcome> {
  const attempts = opts.retry?.attempts ?? 4;
  const baseMs = opts.retry?.baseMs ?? 500;
  let failures = 0;
  try {
    const partial = await PartialDownload.load(opts.cache, opts.url, opts.chunkSize, opts.signal);
    const state: AttemptState = { windows: true };
    for (;;) {
      opts.signal?.throwIfAborted();
      const before = partial.offset;
      let step: Step;
      try {
        step = await attempt(opts, partial, state);
      } catch (err) {
        if (!(err instanceof TransientFailure) || opts.signal?.aborted === true) throw err;
        failures = partial.offset > before ? 1 : failures + 1;
        if (failures >= attempts) throw err.failure;
        const waitMs = err.retryAfterMs ?? Math.round(Math.min(baseMs * 2 ** (failures - 1), 10_000) * (0.5 + Math.random() / 2));
        opts.onRetry?.(failures, err.failure.message, waitMs);
        await sleep(waitMs, undefined, { signal: opts.signal });
        continue;
      }
      if (step === 'not-modified') return { status: 'not-modified' };
      if (step === 'complete') return { status: 'downloaded', blob: await finish(opts, partial) };
    }
  } catch (err) {
    if (opts.signal?.aborted !== true) throw err;
    throw new AirbundleError('ABORTED', `${opts.label}: download of ${opts.url} was cancelled`, {
      cause: err,
      hint: 'the bytes so far are kept in the cache; the next run resumes from there',
    });
  }
}

type Step = 'complete' | 'not-modified' | 'again';

/** Bytes between progress reports: fetch yields slices of 16-64 KiB, far more events than a renderer needs. */
const PROGRESS_STEP = 1024 * 1024;

/** TransientFailure is a failure worth retrying; `failure` is what to throw once retries run out. */
class TransientFailure extends Error {
  readonly failure: AirbundleError;
  readonly retryAfterMs: number | undefined;

  constructor(failure: AirbundleError, retryAfterMs?: number) {
    super(failure.message, { cause: failure });
    this.failure = failure;
    this.retryAfterMs = retryAfterMs;
  }
}

/** AttemptState is what attempts of one download share. */
interface AttemptState {
  /** False once windows proved impossible to join (no validator to resume against): the body is taken whole. */
  windows: boolean;
}

/**
 * attempt makes one request and appends its body to the partial file: the rest of the file, or the next window
 * of it ('again' then asks for the one after).
 */
async function attempt(opts: DownloadOptions, partial: PartialDownload, state: AttemptState): Promise<Step> {
  // A silent connection is a transient failure: the retry carries on from the bytes on disk.
  return watchIdle(
    opts.idleTimeoutMs,
    opts.signal,
    (watchdog) => attemptWatched(opts, partial, state, watchdog),
    (err, ms) => new TransientFailure(unreachable(opts, `no data for ${formatSeconds(ms)} (after ${partial.offset} bytes)`, err)),
  );
}

async function attemptWatched(opts: DownloadOptions, partial: PartialDownload, state: AttemptState, watchdog: IdleWatchdog): Promise<Step> {
  await partial.sync(opts.signal);
  watchdog.kick();
  const size = partial.meta.size;
  if (size !== undefined && partial.offset === size && size > 0) return 'complete';
  if (size !== undefined && (partial.offset > size || (opts.size !== undefined && size !== opts.size))) await partial.restart({});
  const validator = partial.offset > 0 ? ifRangeValidator(partial.meta) : undefined;
  if (partial.offset > 0 && validator === undefined) {
    await partial.restart({});
    state.windows = false;
  }
  const total = partial.meta.size ?? opts.size;
  const window = Math.max(1, opts.maxGetBytes ?? MAX_GET_BYTES);
  const end = state.windows && total !== undefined && total - partial.offset > window ? partial.offset + window : undefined;
  const headers: Record<string, string> = { 'user-agent': `airbundle/${VERSION}` };
  const resuming = validator !== undefined;
  const ranged = resuming || end !== undefined;
  if (ranged) {
    // fetch adds `Accept-Encoding: identity` to range requests itself (Fetch standard, HTTP-network-or-cache fetch).
    headers.range = `bytes=${partial.offset}-${end === undefined ? '' : end - 1}`;
    if (validator !== undefined) headers['if-range'] = validator;
  } else {
    headers['accept-encoding'] = 'identity';
  }
  if (!resuming && opts.revalidate !== undefined) {
    if (opts.revalidate.etag !== undefined) headers['if-none-match'] = opts.revalidate.etag;
    else if (opts.revalidate.lastModified !== undefined) headers['if-modified-since'] = opts.revalidate.lastModified;
  }
  const { response: res, url: servedBy } = await send(opts, headers, watchdog.signal);
  watchdog.kick();
  if (res.status === 304 && !resuming && opts.revalidate !== undefined) {
    await discardBody(res);
    return 'not-modified';
  }
  let until: number | undefined;
  if (res.status === 206 && ranged) {
    const range = parseContentRange(res.headers.get('content-range'));
    if (range === undefined || range.start !== partial.offset) {
      await discardBody(res);
      await partial.restart({});
      state.windows = false;
      return 'again';
    }
    if (!resuming) await partial.restart({ ...validatorsOf(res), ...(range.total !== undefined ? { size: range.total } : {}) });
    else if (range.total !== undefined) partial.meta.size = range.total;
    until = range.end + 1;
  } else if (res.status === 416 && resuming) {
    await discardBody(res);
    await partial.restart({});
    return 'again';
  } else if (res.status === 200) {
    // fetch decodes a Content-Encoding the server applied despite `identity`; then neither the length nor byte
    // offsets for a resume describe what we store, so remember neither.
    const encoded = (res.headers.get('content-encoding') ?? 'identity').toLowerCase() !== 'identity';
    const length = Number(res.headers.get('content-length') ?? Number.NaN);
    await partial.restart(encoded ? {} : { ...validatorsOf(res), ...(Number.isSafeInteger(length) && length >= 0 ? { size: length } : {}) });
    until = partial.meta.size;
  } else {
    await discardBody(res);
    const failure = opts.describeStatus?.(res, servedBy) ?? statusError(opts, res, servedBy);
    if (res.status === 408 || res.status === 429 || res.status >= 500) throw new TransientFailure(failure, retryAfterMs(res));
    throw failure;
  }
  await receive(opts, partial, res, until, watchdog);
  const known = partial.meta.size;
  return known === undefined || partial.offset >= known ? 'complete' : 'again';
}

/**
 * receive appends a response body to the partial file, each slice written before the next is read. `until` is
 * the file offset the body should end at, when the response says.
 */
async function receive(opts: DownloadOptions, partial: PartialDownload, res: Response, until: number | undefined, watchdog: IdleWatchdog): Promise<void> {
  const total = partial.meta.size ?? 0;
  let reported = partial.offset;
  opts.onBytes?.(partial.offset, total);
  if (res.body === null) return;
  const reader = res.body.getReader();
  const fh = await open(partial.path, 'r+');
  const file = partial.appender(fh, () => {
    if (partial.offset - reported >= PROGRESS_STEP) {
      reported = partial.offset;
      opts.onBytes?.(partial.offset, total);
    }
  });
  try {
    for (;;) {
      let next: Awaited<ReturnType<typeof reader.read>>;
      try {
        next = await reader.read();
      } catch (err) {
        // What arrived before the cut is kept: the retry asks only for the rest.
        await file.drain();
        throw new TransientFailure(unreachable(opts, `connection lost after ${partial.offset} of ${total > 0 ? total : '?'} bytes`, err));
      }
      if (next.done) break;
      watchdog.kick();
      await file.append(Buffer.from(next.value.buffer, next.value.byteOffset, next.value.byteLength));
    }
    await file.drain();
  } catch (err) {
    await reader.cancel().catch(() => undefined);
    throw err;
  } finally {
    await fh.close();
    if (partial.offset !== reported) opts.onBytes?.(partial.offset, total);
  }
  if (until !== undefined && partial.offset < until) {
    throw new TransientFailure(unreachable(opts, `response ended after ${partial.offset} of ${total > 0 ? total : until} bytes`, undefined));
  }
  if (until !== undefined && partial.offset > until) {
    await partial.restart({});
    throw new AirbundleError('SIZE_MISMATCH', `${opts.label}: ${opts.url} sent more than the ${until} bytes it announced`);
  }
}

/** finish checks the pin and moves the partial file into the blob store. */
async function finish(opts: DownloadOptions, partial: PartialDownload): Promise<DownloadedBlob> {
  const { digest, size, chunks } = partial.digest();
  if (opts.size !== undefined && size !== opts.size) {
    await partial.discard();
    throw new AirbundleError('SIZE_MISMATCH', `${opts.label}: ${opts.url} sent ${size} bytes, expected ${opts.size}`, {
      hint: 'the server sent other content than its listing describes; the partial download was discarded',
      details: { url: opts.url, expected: opts.size, actual: size },
    });
  }
  if (opts.expected !== undefined && digest !== opts.expected) {
    await partial.discard();
    throw new AirbundleError('DIGEST_MISMATCH', `${opts.label}: ${opts.url} has digest ${digest}, but the spec pins ${opts.expected}`, {
      hint: 'if the file was changed on purpose, update the pin (sha256 in the spec or #sha256= in the URL); otherwise the server sent wrong content',
      details: { url: opts.url, expected: opts.expected, actual: digest, size },
    });
  }
  if (opts.verify !== undefined) {
    try {
      await opts.verify({ path: partial.path, digest, size });
    } catch (err) {
      await partial.discard();
      throw err;
    }
  }
  const blob: DownloadedBlob = { digest, size, chunks };
  if (partial.meta.etag !== undefined) blob.etag = partial.meta.etag;
  if (partial.meta.lastModified !== undefined) blob.lastModified = partial.meta.lastModified;
  await opts.beforeCommit?.(blob);
  await partial.commit(opts.cache.blobs.blobPath({ digest }));
  if (chunks.length > 0) await opts.cache.recordChunks(digest, opts.chunkSize, chunks);
  return blob;
}

/** send makes the request; network failures become SOURCE_UNREACHABLE, retried when they look transient. */
async function send(opts: DownloadOptions, headers: Record<string, string>, signal: AbortSignal): Promise<Followed> {
  try {
    return await fetchFollowingRedirects({ url: opts.url, headers, credentials: opts.credentials, signal });
  } catch (err) {
    if (opts.signal?.aborted === true || err instanceof AirbundleError) throw err;
    const failure = unreachable(opts, 'cannot connect', err);
    const code = socketCode(err);
    if (code !== undefined && TRANSIENT_CODES.has(code)) throw new TransientFailure(failure);
    throw failure;
  }
}

/** Socket error codes worth a retry; refused connections, DNS and TLS failures are not. */
const TRANSIENT_CODES = new Set([
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'ECONNABORTED',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
]);

function unreachable(opts: DownloadOptions, what: string, err: unknown): AirbundleError {
  const code = socketCode(err);
  const detail = err === undefined ? '' : `: ${rootMessage(err)}`;
  return new AirbundleError('SOURCE_UNREACHABLE', `${opts.label}: ${opts.url}: ${what}${detail}`, {
    cause: err,
    hint: 'check the URL and that this machine can reach the host (Node does not use HTTP_PROXY settings)',
    details: { url: opts.url, ...(code !== undefined ? { code } : {}) },
  });
}

function statusError(opts: DownloadOptions, res: Response, servedBy: string): AirbundleError {
  const redirected = servedBy !== opts.url ? ` (redirected to ${servedBy})` : '';
  const hint =
    (res.status === 401 || res.status === 403) && opts.credentials === undefined
      ? 'the server refused access; airbundle sends no credentials, so use a public or pre-signed URL'
      : res.status === 404 || res.status === 410
        ? 'check the URL: it must name the file itself'
        : res.status >= 500
          ? 'the server failed; try again later'
          : undefined;
  return new AirbundleError('SOURCE_HTTP_STATUS', `${opts.label}: GET ${opts.url}${redirected} returned HTTP ${res.status}${res.statusText !== '' ? ` ${res.statusText}` : ''}`, {
    ...(hint !== undefined ? { hint } : {}),
    details: { url: opts.url, status: res.status, ...(redirected !== '' ? { servedBy } : {}) },
  });
}

async function discardBody(res: Response): Promise<void> {
  await res.body?.cancel().catch(() => undefined);
}

function validatorsOf(res: Response): Validators {
  const v: Validators = {};
  const etag = res.headers.get('etag');
  const lastModified = res.headers.get('last-modified');
  if (etag !== null) v.etag = etag;
  if (lastModified !== null) v.lastModified = lastModified;
  return v;
}

/** ifRangeValidator picks what If-Range may carry: a strong ETag, else Last-Modified (RFC 9110 §13.1.5). */
function ifRangeValidator(v: Validators): string | undefined {
  if (v.etag !== undefined && !v.etag.startsWith('W/')) return v.etag;
  return v.lastModified;
}

/** parseContentRange reads `bytes START-END/TOTAL` (TOTAL may be `*`); END is inclusive. */
function parseContentRange(value: string | null): { start: number; end: number; total: number | undefined } | undefined {
  const m = value === null ? null : /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(value.trim());
  if (m === null) return undefined;
  return { start: Number(m[1]), end: Number(m[2]), total: m[3] === '*' ? undefined : Number(m[3]) };
}

/** retryAfterMs reads a Retry-After in seconds, capped at a minute (HTTP dates are left to the backoff). */
function retryAfterMs(res: Response): number | undefined {
  const s = Number(res.headers.get('retry-after') ?? Number.NaN);
  return Number.isFinite(s) && s >= 0 ? Math.min(s, 60) * 1000 : undefined;
}

/** Sidecar is what the partial directory remembers of the response a partial file came from. */
interface Sidecar extends Validators {
  url: string;
  size?: number;
}

function isSidecar(v: unknown): v is Sidecar {
  if (v === null || typeof v !== 'object') return false;
  const r = v as Record<string, unknown>;
  const opt = (x: unknown, t: string): boolean => x === undefined || typeof x === t;
  return typeof r.url === 'string' && opt(r.etag, 'string') && opt(r.lastModified, 'string') && opt(r.size, 'number');
}

/** PartialDownload is one URL's bytes so far on disk, and a hasher that holds exactly those bytes. */
class PartialDownload {
  readonly path: string;
  readonly #sidecarPath: string;
  readonly #url: string;
  readonly #chunkSize: number;
  meta: Sidecar;
  offset = 0;
  #hasher: ChunkHasher;

  private constructor(cache: ContentCache, url: string, chunkSize: number) {
    this.path = join(cache.partialDir, ContentCache.keyOf(url));
    this.#sidecarPath = `${this.path}.json`;
    this.#url = url;
    this.#chunkSize = chunkSize;
    this.meta = { url };
    this.#hasher = new ChunkHasher(chunkSize);
  }

  /** load picks up what an earlier run left, if its sidecar says it is this URL's. */
  static async load(cache: ContentCache, url: string, chunkSize: number, signal?: AbortSignal): Promise<PartialDownload> {
    const p = new PartialDownload(cache, url, chunkSize);
    const sidecar = await readFile(p.#sidecarPath, 'utf8').then((t) => JSON.parse(t) as unknown, () => undefined);
    if (isSidecar(sidecar) && sidecar.url === url) {
      p.meta = sidecar;
      await p.#rehash(signal);
    } else {
      await rm(p.path, { force: true });
    }
    return p;
  }

  /** sync re-hashes the file when an interrupted write left it and the hasher apart. */
  async sync(signal?: AbortSignal): Promise<void> {
    const size = (await stat(this.path).catch(() => undefined))?.size ?? 0;
    if (size !== this.offset) await this.#rehash(signal);
  }

  /** restart empties the partial file for a response that starts at zero, and records its validators. */
  async restart(validators: Validators & { size?: number }): Promise<void> {
    await mkdir(dirname(this.path), { recursive: true });
    await (await open(this.path, 'w')).close();
    this.#hasher = new ChunkHasher(this.#chunkSize);
    this.offset = 0;
    this.meta = { url: this.#url, ...validators };
    await writeFileAtomic(this.#sidecarPath, `${JSON.stringify(this.meta)}\n`);
  }

  /**
   * appender writes slices at the end of the file (batched, pipelined, flushed to disk as it goes) and hashes
   * each batch once it is on the file, so the hasher and `offset` always describe the bytes on disk.
   */
  appender(fh: FileHandle, onWritten: () => void): FileAppender {
    return new FileAppender(fh, this.offset, {
      onWritten: (batch, bytes) => {
        for (const b of batch) this.#hasher.update(b);
        this.offset += bytes;
        onWritten();
      },
    });
  }

  /** digest ends hashing: call once, when the file is complete. */
  digest(): { digest: Digest; size: number; chunks: Digest[] } {
    return this.#hasher.digest();
  }

  /** commit fsyncs the verified file, makes it read-only and renames it to `blobPath`. */
  async commit(blobPath: string): Promise<void> {
    const fh = await open(this.path, 'r');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
    await chmod(this.path, 0o444);
    await mkdir(dirname(blobPath), { recursive: true });
    await rename(this.path, blobPath);
    await rm(this.#sidecarPath, { force: true });
  }

  /** discard deletes the partial file and its sidecar. */
  async discard(): Promise<void> {
    await rm(this.path, { force: true });
    await rm(this.#sidecarPath, { force: true });
  }

  async #rehash(signal?: AbortSignal): Promise<void> {
    this.#hasher = new ChunkHasher(this.#chunkSize);
    this.offset = 0;
    if ((await stat(this.path).catch(() => undefined)) === undefined) return;
    for await (const chunk of createReadStream(this.path, { highWaterMark: READ_HWM, signal })) {
      this.#hasher.update(chunk as Buffer);
      this.offset += (chunk as Buffer).length;
    }
  }
}
