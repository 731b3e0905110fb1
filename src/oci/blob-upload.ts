/**
 * Blob upload: POST to open a session (optionally mounting from another repository), then either one PUT with the
 * whole body (monolithic, the fast path) or PATCH chunks followed by an empty PUT (chunked, for registries and
 * proxies that cap request bodies). Each step uses the newest `Location` exactly as given.
 *
 * Recovery runs under the one retry policy, one blob at a time: after a failed step the uploader asks the registry
 * how far it got (`GET <location>` → `Range: 0-N`) and carries on from N+1 when the session survived with progress
 * (distribution v3), or cancels the session and restarts the blob from byte 0 with a new one (distribution 2.8,
 * Harbor and Zot lose the session on an interrupted request). Distribution 2.8 ignores `Content-Range` on PATCH, so
 * offsets are tracked here and every `Range` answer is checked against them.
 * Reference: https://github.com/opencontainers/distribution-spec/blob/v1.1.1/spec.md#pushing-blobs and
 * #pushing-a-blob-in-chunks; /work/shared/reference/registries-and-signing.md §0.1 and §B2.
 */
import type { Readable } from 'node:stream';
import type { Descriptor } from '../content/descriptor.js';
import type { OpenBody } from '../content/storage.js';
import { AirbundleError } from '../errors.js';
import { repositoryScope } from './auth.js';
import { responseError } from './errcode.js';
import type { HttpResponse } from './http-client.js';
import { transientDetails, withRetry } from './retry.js';
import { StreamSlicer } from './stream-slicer.js';
import type { Transport } from './transport.js';

/** UploadMode picks how blob bytes travel: one PUT, or PATCH chunks. */
export type UploadMode = 'monolithic' | 'chunked';

/** UploadOptions; a value ≤ 0 means the default. */
export interface UploadOptions {
  /** Default `monolithic`. */
  mode?: UploadMode;
  /** Bytes per PATCH in chunked mode. Default 64 MiB; raised to the registry's `OCI-Chunk-Min-Length`. */
  chunkSize?: number;
}

/** BlobUpload is one blob to upload into one repository. */
export interface BlobUpload {
  transport: Transport;
  repository: string;
  desc: Descriptor;
  open: OpenBody;
  options?: UploadOptions;
  /** Repository to mount the blob from instead of uploading it, when the registry can. */
  mountFrom?: string;
  onBytes?: (n: number) => void;
  signal?: AbortSignal;
}

/** UploadOutcome says whether the bytes travelled or the registry mounted the blob. */
export type UploadOutcome = 'mounted' | 'uploaded';

/** DEFAULT_CHUNK_SIZE for chunked uploads: 64 MiB cost nothing measurable on distribution 2.8. */
export const DEFAULT_CHUNK_SIZE = 64 * 1024 * 1024;

interface Session {
  location: URL;
  offset: number;
  chunkSize: number;
}

/** uploadBlob uploads (or mounts) one blob, recovering from failures as described at the top of this file. */
export async function uploadBlob(up: BlobUpload): Promise<UploadOutcome> {
  const t = up.transport;
  const item = `${t.registry}/${up.repository}@${up.desc.digest}`;
  const what = `pushing blob ${up.desc.digest} to ${t.registry}/${up.repository}`;
  const scopes = [repositoryScope(up.repository, ['pull', 'push'])];
  if (up.mountFrom !== undefined) scopes.push(repositoryScope(up.mountFrom, ['pull']));
  const mode = up.options?.mode ?? 'monolithic';
  const chunkSize = up.options?.chunkSize !== undefined && up.options.chunkSize > 0 ? up.options.chunkSize : DEFAULT_CHUNK_SIZE;
  const size = up.desc.size;
  const common = { scopes, what, item, signal: up.signal, retry: false } as const;

  let session: Session | undefined;
  let mountPending = up.mountFrom !== undefined;
  let slicer: { source: StreamSlicer; position: number } | undefined;

  /** bodyAt is a body factory for `length` bytes at `start`; a second call for the same bytes re-opens the source. */
  const bodyAt = (start: number, length: number) => ({
    length,
    open: async (): Promise<Readable> => {
      if (slicer === undefined || slicer.position !== start) {
        slicer?.source.close();
        slicer = { source: new StreamSlicer(await up.open(start)), position: start };
      }
      slicer.position = start + length;
      return slicer.source.slice(length);
    },
  });

  const fail = async (res: HttpResponse): Promise<AirbundleError> =>
    responseError(res, what, { registry: t.registry, transient: res.status === 404 || res.status === 416 });

  const start = async (): Promise<Session | 'mounted'> => {
    const url = t.url(`/v2/${up.repository}/blobs/uploads/`);
    if (mountPending && up.mountFrom !== undefined) {
      url.searchParams.set('mount', up.desc.digest);
      url.searchParams.set('from', up.mountFrom);
    }
    const res = await t.send({ ...common, method: 'POST', url });
    mountPending = false;
    if (res.status === 201 && up.mountFrom !== undefined && url.searchParams.has('mount')) {
      res.discard();
      return 'mounted';
    }
    if (res.status !== 202) throw await responseError(res, what, { registry: t.registry });
    res.discard();
    const location = res.header('location');
    if (location === undefined) throw new AirbundleError('REGISTRY_ERROR', `${what}: ${t.registry} opened an upload without a Location`);
    const min = Number(res.header('oci-chunk-min-length') ?? 0);
    return { location: t.url(location, res.url), offset: 0, chunkSize: Number.isSafeInteger(min) && min > chunkSize ? min : chunkSize };
  };

  /** recover asks the registry how far an interrupted session got; undefined means start a new one. */
  const recover = async (s: Session): Promise<Session | undefined> => {
    const res = await t.send({ ...common, method: 'GET', url: s.location });
    res.discard();
    const end = res.status === 204 || res.status === 200 ? rangeEnd(res.header('range')) : undefined;
    // "0-0" is ambiguous (nothing, or one byte): only a positive end proves progress.
    if (end === undefined || end <= 0 || end + 1 > size) {
      if (res.status !== 404) await cancel(s);
      return undefined;
    }
    const location = res.header('location');
    return { ...s, location: location === undefined ? s.location : t.url(location, res.url), offset: end + 1 };
  };

  const cancel = async (s: Session): Promise<void> => {
    try {
      (await t.send({ ...common, method: 'DELETE', url: s.location })).discard();
    } catch {
      // Cancelling is a courtesy (the spec says to ignore failures); the registry purges stale uploads itself.
    }
  };

  const finish = async (s: Session, body: { length: number; open: () => Promise<Readable> } | undefined): Promise<void> => {
    const url = withDigest(s.location, up.desc.digest);
    const headers: Record<string, string> = { 'content-type': 'application/octet-stream' };
    if (body !== undefined && s.offset > 0) headers['content-range'] = `${s.offset}-${size - 1}`;
    const res = await t.send({ ...common, method: 'PUT', url, headers, ...(body === undefined ? {} : { body, onBytes: up.onBytes }) });
    if (res.status !== 201 && res.status !== 204) throw await fail(res);
    res.discard();
    const stored = res.header('docker-content-digest');
    if (stored !== undefined && stored !== up.desc.digest) {
      throw new AirbundleError('DIGEST_MISMATCH', `${what}: ${t.registry} stored the blob as ${stored}`);
    }
  };

  const monolithic = async (s: Session): Promise<void> => {
    const remaining = size - s.offset;
    await finish(s, remaining > 0 || s.offset === 0 ? { length: remaining, open: () => up.open(s.offset) } : undefined);
  };

  const chunked = async (s: Session): Promise<void> => {
    while (s.offset < size) {
      const from = s.offset;
      const length = Math.min(s.chunkSize, size - from);
      const res = await t.send({
        ...common,
        method: 'PATCH',
        url: s.location,
        headers: { 'content-type': 'application/octet-stream', 'content-range': `${from}-${from + length - 1}` },
        body: bodyAt(from, length),
        onBytes: up.onBytes,
      });
      if (res.status !== 202) throw await fail(res);
      res.discard();
      const location = res.header('location');
      if (location !== undefined) s.location = t.url(location, res.url);
      const end = rangeEnd(res.header('range'));
      if (end !== from + length - 1) {
        // Trust but verify: a registry that lost track (or appended out of order) gets asked again from scratch.
        throw new AirbundleError('REGISTRY_ERROR', `${what}: ${t.registry} reports ${end === undefined ? 'no' : `bytes 0-${end}`} after a chunk that ended at ${from + length - 1}`, {
          details: transientDetails(),
        });
      }
      s.offset = from + length;
    }
    await finish(s, undefined);
  };

  const { policy, ctx } = t.retryContext(item, up.signal);
  try {
    return await withRetry(
      async (attempt) => {
        if (session !== undefined && attempt > 1) session = await recover(session);
        if (session === undefined) {
          const started = await start();
          if (started === 'mounted') return 'mounted';
          session = started;
        }
        if (mode === 'chunked') await chunked(session);
        else await monolithic(session);
        session = undefined;
        return 'uploaded';
      },
      policy,
      ctx,
    );
  } catch (err) {
    if (session !== undefined) await cancel(session);
    throw err;
  } finally {
    slicer?.source.close();
  }
}

/** withDigest appends `digest=` to an upload location, keeping its own query (distribution's `_state`) intact. */
function withDigest(location: URL, digest: string): URL {
  const href = location.href;
  return new URL(`${href}${location.search === '' ? '?' : '&'}digest=${encodeURIComponent(digest)}`);
}

/** rangeEnd reads the last byte offset of a `Range: 0-N` (or `bytes=0-N`) upload status header. */
function rangeEnd(header: string | undefined): number | undefined {
  const m = /^(?:bytes=)?(\d+)-(\d+)$/.exec(header?.trim() ?? '');
  return m === null ? undefined : Number(m[2]);
}
