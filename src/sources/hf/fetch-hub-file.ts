/**
 * One file of a Hub repository into the content cache, verified against what the listing says before it is
 * accepted: LFS files by sha256 (= `lfs.oid`, which is also the layer digest), the others by git blob sha1 (`oid`),
 * sha256 computed on the way. A file the cache already has is not requested at all: LFS files are found by their
 * sha256, the others through `meta/hf-blobs/<oid>` (git id → sha256) written after their first download.
 * Bytes come from `{endpoint}/{repo}/resolve/{commit}/{path}` through the resumable downloader (download.ts):
 * partial files keyed by that URL, so a rerun after a kill asks only for the missing range; redirects to the CDN
 * lose the token; no GET asks for more than one window.
 */
import { stat } from 'node:fs/promises';
import type { Descriptor } from '../../content/descriptor.js';
import { digestFromHex, isDigest, type Digest } from '../../content/digest.js';
import { AirbundleError } from '../../errors.js';
import type { SourceContext } from '../source.js';
import { download } from '../http/download.js';
import { gitBlobId } from './git-blob.js';
import type { HubApi } from './hub-api.js';
import { hubError, refusalOf } from './hub-errors.js';
import type { HubFile } from './tree-entry.js';

const META_KIND = 'hf-blobs';
const BLOB_MEDIA_TYPE = 'application/octet-stream';
/** Statuses the Hub explains itself (gated, private, missing); others keep the downloader's error. */
const REFUSALS = new Set([401, 403, 404, 410]);

/** HubFileRequest names the file, where it comes from, and how to report on it. */
export interface HubFileRequest {
  api: HubApi;
  /** 40-hex commit the listing is of. */
  commit: string;
  file: HubFile;
  /** Progress item name, `model/path`. */
  item: string;
  /** `org/name`, for messages. */
  repo: string;
  model: string;
  /** Most bytes per GET (download.ts default when undefined). */
  maxGetBytes?: number;
}

/** FetchedFile is a file now in the cache. */
export interface FetchedFile {
  digest: Digest;
  size: number;
  chunks: Digest[];
  /** True when nothing was downloaded. */
  cached: boolean;
}

/** fetchHubFile makes sure the file's verified bytes are in `ctx.cache`, downloading them if needed. */
export async function fetchHubFile(req: HubFileRequest, ctx: SourceContext): Promise<FetchedFile> {
  const { file, item } = req;
  const known = file.lfsSha256 !== undefined ? digestFromHex(file.lfsSha256) : await knownDigest(ctx, file);
  if (known !== undefined && (await inCache(ctx, known, file.size))) {
    ctx.onEvent({ type: 'item-start', phase: 'resolve', item, total: file.size });
    const desc: Descriptor = { mediaType: BLOB_MEDIA_TYPE, digest: known, size: file.size };
    const chunks = await ctx.cache.chunksOf(desc, ctx.chunkSize, ctx.cache.blobs);
    ctx.onEvent({ type: 'item-end', phase: 'resolve', item, cached: true });
    return { digest: known, size: file.size, chunks, cached: true };
  }

  let started = false;
  const start = (): void => {
    if (!started) ctx.onEvent({ type: 'item-start', phase: 'resolve', item, total: file.size });
    started = true;
  };
  const url = req.api.fileUrl(req.commit, file.path);
  const outcome = await download({
    url,
    label: `model "${req.model}" (${req.repo}/${file.path})`,
    cache: ctx.cache,
    chunkSize: ctx.chunkSize,
    size: file.size,
    ...(req.maxGetBytes !== undefined ? { maxGetBytes: req.maxGetBytes } : {}),
    ...(req.api.credentials !== undefined ? { credentials: req.api.credentials } : {}),
    signal: ctx.signal,
    ...(ctx.idleTimeoutMs !== undefined ? { idleTimeoutMs: ctx.idleTimeoutMs } : {}),
    verify: async ({ path, digest, size }) => verifyAgainstListing(req, path, digest, size, ctx.signal),
    describeStatus: (res, servedBy) => (REFUSALS.has(res.status) ? hubError(req.api.target({ revision: req.commit, path: file.path }), refusalOf(res, servedBy)) : undefined),
    onBytes: (done, total) => {
      start();
      ctx.onEvent({ type: 'bytes', phase: 'resolve', item, done, total: total > 0 ? total : file.size });
    },
    onRetry: (attempt, reason, waitMs) => ctx.onEvent({ type: 'retry', phase: 'resolve', item, attempt, reason, waitMs }),
  });
  if (outcome.status !== 'downloaded') throw new AirbundleError('INTERNAL', `${url} answered 304 to an unconditional request`);
  const { blob } = outcome;
  if (file.lfsSha256 === undefined) await ctx.cache.writeMeta(META_KIND, file.oid, { oid: file.oid, digest: blob.digest, size: blob.size });
  start();
  ctx.onEvent({ type: 'item-end', phase: 'resolve', item, cached: false });
  return { digest: blob.digest, size: blob.size, chunks: blob.chunks, cached: false };
}

/**
 * verifyAgainstListing is the check before a complete download enters the cache: sha256 against `lfs.oid`, or the
 * git blob id against `oid`. A mismatch is DIGEST_MISMATCH naming repo, file, expected and actual.
 */
async function verifyAgainstListing(req: HubFileRequest, path: string, digest: Digest, size: number, signal: AbortSignal | undefined): Promise<void> {
  const { file } = req;
  const [algorithm, expected, actual] =
    file.lfsSha256 !== undefined ? ['sha256', `sha256:${file.lfsSha256}`, digest] : ['git blob sha1', file.oid, await gitBlobId(path, size, signal)];
  if (expected === actual) return;
  throw new AirbundleError('DIGEST_MISMATCH', `model "${req.model}": ${file.path} of ${req.repo} at ${req.commit} has ${algorithm} ${actual}, but the Hub lists ${expected}`, {
    hint: 'the download was damaged or the server sent other content; nothing was kept, run the build again to fetch it afresh',
    details: { repo: req.repo, file: file.path, commit: req.commit, algorithm, expected, actual },
  });
}

/** knownDigest is the sha256 recorded for a non-LFS file's git id by an earlier download, if any. */
async function knownDigest(ctx: SourceContext, file: HubFile): Promise<Digest | undefined> {
  const rec = await ctx.cache.readMeta(META_KIND, file.oid);
  if (rec === null || typeof rec !== 'object') return undefined;
  const r = rec as Record<string, unknown>;
  return r.oid === file.oid && isDigest(r.digest) && r.size === file.size ? r.digest : undefined;
}

async function inCache(ctx: SourceContext, digest: Digest, size: number): Promise<boolean> {
  const st = await stat(ctx.cache.blobs.blobPath({ digest })).catch(() => undefined);
  return st?.isFile() === true && st.size === size;
}
