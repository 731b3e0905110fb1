import { stat } from 'node:fs/promises';
import { ContentCache } from '../../cache/content-cache.js';
import type { Descriptor } from '../../content/descriptor.js';
import { isDigest, type Digest } from '../../content/digest.js';
import { AirbundleError } from '../../errors.js';
import { withoutUserinfo } from '../../util/redact.js';
import { packedModel } from '../modelpack.js';
import type { ResolvedArtifact, SourceContext } from '../source.js';
import { download, type Validators } from './download.js';

/** HttpModelEntry is the part of a spec model entry an `https://` (or `http://`) source reads. */
export interface HttpModelEntry {
  name: string;
  source: string;
  tag?: string;
  sha256?: string;
  format?: string;
}

/** HttpSource is a parsed source URL: the URL without fragment, the pin if any, and the file name it names. */
export interface HttpSource {
  url: string;
  pin: Digest | undefined;
  file: string;
}

/** UrlRecord is what the cache remembers of a URL (`meta/http/<key>.json`): the blob it served, and its validators. */
interface UrlRecord extends Validators {
  url: string;
  digest: Digest;
  size: number;
}

const META_KIND = 'http';
const BLOB_MEDIA_TYPE = 'application/octet-stream';

/**
 * resolveHttpModel packs one file downloaded from `https://host/path/file#sha256=<hex>` as a ModelPack model.
 * With a pin, a blob already in the cache is used without any request; without one, the cached copy is
 * revalidated with a conditional GET. Downloads resume and retry (see download.ts), and a pin is enforced.
 */
export async function resolveHttpModel(entry: HttpModelEntry, ctx: SourceContext, defaultTag: string): Promise<ResolvedArtifact> {
  const { url, pin, file } = parseHttpSource(entry);
  const item = `${entry.name}/${file}`;
  const known = asUrlRecord(await ctx.cache.readMeta(META_KIND, ContentCache.keyOf(url)), url);

  const cached = pin !== undefined ? await cachedPin(ctx.cache, url, pin, known) : undefined;
  const { blob, chunks: fresh } = cached !== undefined ? { blob: cached, chunks: undefined } : await fetchBlob(entry, ctx, url, pin, known, item);
  let chunks = fresh;
  if (chunks === undefined) {
    // Nothing was downloaded: chunk digests come from meta/chunks, or one local read of the blob.
    ctx.onEvent({ type: 'item-start', phase: 'resolve', item, total: blob.size });
    chunks = await ctx.cache.chunksOf(blobDescriptor(blob), ctx.chunkSize, ctx.cache.blobs);
    ctx.onEvent({ type: 'item-end', phase: 'resolve', item, cached: true });
  }

  const lastModified = blob.lastModified === undefined ? undefined : new Date(blob.lastModified);
  return packedModel({
    entry,
    defaultTag,
    files: [{ path: file, digest: blob.digest, size: blob.size }],
    storage: ctx.cache.blobs,
    chunks: new Map(chunks.length > 0 ? [[blob.digest, chunks]] : []),
    sourceUrl: url,
    provenance: {
      type: 'http',
      uri: url,
      ...(blob.etag !== undefined ? { revision: blob.etag } : {}),
      resolvedAt: (lastModified !== undefined && !Number.isNaN(lastModified.getTime()) ? lastModified : ctx.now).toISOString(),
      details: { file },
    },
  });
}

/**
 * fetchBlob downloads the URL into the cache, or, without a pin, revalidates the copy the cache has of it.
 * `chunks` is undefined when the cached copy is still current (nothing was downloaded).
 */
async function fetchBlob(
  entry: HttpModelEntry,
  ctx: SourceContext,
  url: string,
  pin: Digest | undefined,
  known: UrlRecord | undefined,
  item: string,
): Promise<{ blob: UrlRecord; chunks: Digest[] | undefined }> {
  const current = pin === undefined && known !== undefined && hasValidator(known) && (await ctx.cache.blobs.exists(blobDescriptor(known))) ? known : undefined;
  let started = false;
  const start = (total: number): void => {
    if (!started) ctx.onEvent({ type: 'item-start', phase: 'resolve', item, total });
    started = true;
  };
  const outcome = await download({
    url,
    label: `model "${entry.name}"`,
    cache: ctx.cache,
    chunkSize: ctx.chunkSize,
    expected: pin,
    revalidate: current,
    signal: ctx.signal,
    ...(ctx.idleTimeoutMs !== undefined ? { idleTimeoutMs: ctx.idleTimeoutMs } : {}),
    onBytes: (done, total) => {
      start(total);
      ctx.onEvent({ type: 'bytes', phase: 'resolve', item, done, total });
    },
    onRetry: (attempt, reason, waitMs) => ctx.onEvent({ type: 'retry', phase: 'resolve', item, attempt, reason, waitMs }),
    // The URL's record (validators: the provenance's revision and date) is written before the blob enters the
    // cache: with a pin, a cached blob is used without a request, so a record missing then would stay missing.
    beforeCommit: async ({ chunks: _chunks, ...rest }) => ctx.cache.writeMeta(META_KIND, ContentCache.keyOf(url), { url, ...rest }),
  });
  if (outcome.status === 'not-modified' && current !== undefined) return { blob: current, chunks: undefined };
  if (outcome.status === 'not-modified') throw new AirbundleError('INTERNAL', `model "${entry.name}": ${url} answered 304 to an unconditional request`);
  const { chunks, ...rest } = outcome.blob;
  const blob: UrlRecord = { url, ...rest };
  start(blob.size);
  ctx.onEvent({ type: 'item-end', phase: 'resolve', item, cached: false });
  return { blob, chunks };
}

/** cachedPin returns the cache's copy of a pinned blob, with the URL's validators when they describe it. */
async function cachedPin(cache: ContentCache, url: string, pin: Digest, known: UrlRecord | undefined): Promise<UrlRecord | undefined> {
  const st = await stat(cache.blobs.blobPath({ digest: pin })).catch(() => undefined);
  if (st?.isFile() !== true) return undefined;
  return known?.digest === pin && known.size === st.size ? known : { url, digest: pin, size: st.size };
}

function hasValidator(v: Validators): boolean {
  return v.etag !== undefined || v.lastModified !== undefined;
}

/**
 * parseHttpSource splits `https://host/path/file#sha256=<hex>` into the URL, the pin (from the fragment or
 * `entry.sha256`, which must agree) and the file name: the last path segment, decoded, with no path separators.
 */
export function parseHttpSource(entry: HttpModelEntry): HttpSource {
  const invalid = (why: string, hint?: string): AirbundleError =>
    new AirbundleError('SOURCE_INVALID', `model "${entry.name}": source ${withoutUserinfo(entry.source)} ${why}`, hint === undefined ? {} : { hint });
  let u: URL;
  try {
    u = new URL(entry.source);
  } catch {
    throw invalid('is not a valid URL');
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') throw invalid('is not an http(s) URL');
  if (u.username !== '' || u.password !== '') throw invalid('carries credentials', 'credentials in URLs are not supported; use a public or pre-signed URL');
  const fragment = u.hash.replace(/^#/, '');
  u.hash = '';
  const pins: string[] = [];
  if (fragment !== '') {
    const m = /^sha256=(.*)$/.exec(fragment);
    if (m === null) throw invalid(`has an unknown fragment "#${fragment}"`, 'the only fragment understood is #sha256=<64 hex characters>');
    pins.push(m[1] ?? '');
  }
  if (entry.sha256 !== undefined) pins.push(entry.sha256.replace(/^sha256:/, ''));
  const digests = pins.map((hex) => {
    const digest = `sha256:${hex.toLowerCase()}`;
    if (!isDigest(digest)) throw invalid(`has a malformed pin "${hex}"`, 'a pin is 64 hex characters: #sha256=<hex> or sha256: <hex>');
    return digest;
  });
  if (digests.length === 2 && digests[0] !== digests[1]) {
    throw invalid(`is pinned twice, differently: ${digests[0]} in the URL and ${digests[1]} in sha256`, 'keep one pin');
  }
  return { url: u.href, pin: digests[0], file: fileNameOf(u, invalid) };
}

function fileNameOf(u: URL, invalid: (why: string, hint?: string) => AirbundleError): string {
  const segment = u.pathname.split('/').pop() ?? '';
  let name: string;
  try {
    name = decodeURIComponent(segment);
  } catch {
    name = segment;
  }
  name = name.replace(/[/\\\u0000-\u001f]/g, '_');
  if (name === '' || name === '.' || name === '..') {
    throw invalid('does not end in a file name', 'the URL must name the file, e.g. https://host/path/model.safetensors');
  }
  return name;
}

function blobDescriptor(blob: { digest: Digest; size: number }): Descriptor {
  return { mediaType: BLOB_MEDIA_TYPE, digest: blob.digest, size: blob.size };
}

function asUrlRecord(v: unknown, url: string): UrlRecord | undefined {
  if (v === null || typeof v !== 'object') return undefined;
  const r = v as Record<string, unknown>;
  if (r.url !== url || !isDigest(r.digest) || typeof r.size !== 'number') return undefined;
  const rec: UrlRecord = { url, digest: r.digest, size: r.size };
  if (typeof r.etag === 'string') rec.etag = r.etag;
  if (typeof r.lastModified === 'string') rec.lastModified = r.lastModified;
  return rec;
}
