import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isManifestMediaType } from '../bundle/layout.js';
import type { Descriptor } from '../content/descriptor.js';
import { fetchBytes } from '../content/fetch-bytes.js';
import { readRange } from '../content/range-reader.js';
import type { ReadOnlyStorage } from '../content/storage.js';
import { verifyStream } from '../content/verify-stream.js';
import { errorMessage } from '../errors.js';
import { noProgress, type ProgressSink } from '../progress/events.js';
import type { ServeCatalog } from './serve-catalog.js';

/** RegistryServerOptions for {@link startRegistryServer}. */
export interface RegistryServerOptions {
  host: string;
  port: number;
  catalog: ServeCatalog;
  storage: ReadOnlyStorage;
  onEvent?: ProgressSink;
}

/** RunningRegistryServer is a listening server. */
export interface RunningRegistryServer {
  /** `http://HOST:PORT` */
  url: string;
  /** `HOST:PORT`, as image references use it. */
  address: string;
  close(): Promise<void>;
}

type OciErrorCode = 'BLOB_UNKNOWN' | 'MANIFEST_UNKNOWN' | 'NAME_UNKNOWN' | 'UNSUPPORTED' | 'DIGEST_INVALID' | 'RANGE_INVALID';

/**
 * startRegistryServer serves a catalog read-only over the OCI distribution API: `/v2/`, `_catalog`, tag lists,
 * manifests by tag or digest, blobs with HEAD and Range. Whole-blob GETs are verified while they stream; a
 * blob that turns out damaged is cut off, so a client never accepts bad bytes.
 * Reference: https://github.com/opencontainers/distribution-spec/blob/v1.1.0/spec.md
 */
export async function startRegistryServer(options: RegistryServerOptions): Promise<RunningRegistryServer> {
  const onEvent = options.onEvent ?? noProgress;
  const server: Server = createServer((req, res) => {
    handle(options, req, res, onEvent).catch((err: unknown) => {
      onEvent({ type: 'warn', phase: 'serve', message: `${req.method} ${req.url}: ${errorMessage(err)}` });
      if (!res.headersSent) sendError(res, 500, 'UNSUPPORTED', errorMessage(err));
      else res.destroy();
    });
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const addr = server.address() as AddressInfo;
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  return {
    url: `http://${host}:${addr.port}`,
    address: `${host}:${addr.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function handle(options: RegistryServerOptions, req: IncomingMessage, res: ServerResponse, onEvent: ProgressSink): Promise<void> {
  res.setHeader('Docker-Distribution-API-Version', 'registry/2.0');
  const method = req.method ?? 'GET';
  const url = new URL(req.url ?? '/', 'http://x');
  const path = decodeURIComponent(url.pathname);
  if (method !== 'GET' && method !== 'HEAD') {
    sendError(res, 405, 'UNSUPPORTED', 'this registry is read-only: it serves a bundle');
    return;
  }
  if (path === '/v2/' || path === '/v2') {
    sendJson(res, method, {});
    return;
  }
  if (path === '/v2/_catalog') {
    const names = [...options.catalog.keys()].sort();
    sendJson(res, method, { repositories: paginate(names, url, res, path) });
    return;
  }
  const m = /^\/v2\/(.+)\/(manifests|blobs|tags)\/(.+)$/.exec(path);
  if (m === null) {
    sendError(res, 404, 'UNSUPPORTED', `no such endpoint: ${path}`);
    return;
  }
  const [, name, kind, ref] = m as unknown as [string, string, string, string];
  const repo = options.catalog.get(name);
  if (repo === undefined) {
    sendError(res, 404, 'NAME_UNKNOWN', `repository ${name} is not in this bundle`);
    return;
  }
  if (kind === 'tags') {
    if (ref !== 'list') return sendError(res, 404, 'UNSUPPORTED', `no such endpoint: ${path}`);
    sendJson(res, method, { name, tags: paginate([...repo.tags.keys()].sort(), url, res, path) });
    return;
  }
  if (kind === 'manifests') {
    const desc = ref.startsWith('sha256:') ? repo.nodes.get(ref) : repo.tags.get(ref);
    if (desc === undefined || !isManifestMediaType(desc.mediaType)) {
      sendError(res, 404, 'MANIFEST_UNKNOWN', `manifest ${ref} is not in ${name}`);
      return;
    }
    const bytes = await fetchBytes(options.storage, desc);
    res.writeHead(200, { 'Content-Type': desc.mediaType, 'Content-Length': String(bytes.length), 'Docker-Content-Digest': desc.digest, ETag: `"${desc.digest}"` });
    res.end(method === 'HEAD' ? undefined : bytes);
    return;
  }
  if (!/^sha256:[a-f0-9]{64}$/.test(ref)) return sendError(res, 400, 'DIGEST_INVALID', `${ref} is not a sha256 digest`);
  const desc = repo.nodes.get(ref);
  if (desc === undefined) {
    sendError(res, 404, 'BLOB_UNKNOWN', `blob ${ref} is not in ${name}`);
    return;
  }
  await sendBlob(options.storage, desc, req, res, method, onEvent, name);
}

async function sendBlob(storage: ReadOnlyStorage, desc: Descriptor, req: IncomingMessage, res: ServerResponse, method: string, onEvent: ProgressSink, name: string): Promise<void> {
  const headers: Record<string, string> = {
    'Content-Type': 'application/octet-stream',
    'Docker-Content-Digest': desc.digest,
    'Accept-Ranges': 'bytes',
    ETag: `"${desc.digest}"`,
  };
  const range = parseRange(req.headers.range, desc.size);
  if (range === 'invalid') {
    res.writeHead(416, { ...headers, 'Content-Range': `bytes */${desc.size}` });
    res.end();
    return;
  }
  const [start, end] = range ?? [0, desc.size - 1];
  const length = desc.size === 0 ? 0 : end - start + 1;
  if (range !== undefined) headers['Content-Range'] = `bytes ${start}-${end}/${desc.size}`;
  res.writeHead(range !== undefined ? 206 : 200, { ...headers, 'Content-Length': String(length) });
  if (method === 'HEAD' || length === 0) {
    res.end();
    return;
  }
  const controller = new AbortController();
  res.on('close', () => controller.abort());
  const body = await readRange(storage, desc, start, length, controller.signal);
  const out = range === undefined ? body.pipe(verifyStream(desc)) : body;
  body.on('error', (err) => out.destroy(err));
  out.on('error', (err) => {
    if (!controller.signal.aborted) onEvent({ type: 'warn', phase: 'serve', message: `${name}@${desc.digest}: ${errorMessage(err)}; connection cut so the client does not keep bad bytes` });
    res.destroy();
  });
  out.on('end', () => onEvent({ type: 'info', phase: 'serve', message: `GET ${name} ${desc.digest} ${length} bytes` }));
  out.pipe(res);
}

/** parseRange reads a single `bytes=a-b` / `bytes=a-` / `bytes=-n` range. */
function parseRange(header: string | undefined, size: number): [number, number] | undefined | 'invalid' {
  if (header === undefined) return undefined;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (m === null) return 'invalid';
  const [, a, b] = m as unknown as [string, string, string];
  let start: number;
  let end: number;
  if (a === '') {
    if (b === '') return 'invalid';
    start = Math.max(0, size - Number(b));
    end = size - 1;
  } else {
    start = Number(a);
    end = b === '' ? size - 1 : Math.min(Number(b), size - 1);
  }
  if (start > end || start >= size) return 'invalid';
  return [start, end];
}

/** paginate applies `n` and `last` and sets the Link header for the next page. */
function paginate(items: string[], url: URL, res: ServerResponse, path: string): string[] {
  const last = url.searchParams.get('last');
  const n = Number(url.searchParams.get('n') ?? '0');
  let out = last !== null ? items.filter((i) => i > last) : items;
  if (n > 0 && out.length > n) {
    out = out.slice(0, n);
    res.setHeader('Link', `<${path}?n=${n}&last=${encodeURIComponent(out[out.length - 1]!)}>; rel="next"`);
  }
  return out;
}

function sendJson(res: ServerResponse, method: string, value: unknown): void {
  const body = Buffer.from(JSON.stringify(value));
  res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': String(body.length) });
  res.end(method === 'HEAD' ? undefined : body);
}

function sendError(res: ServerResponse, status: number, code: OciErrorCode, message: string): void {
  const body = Buffer.from(JSON.stringify({ errors: [{ code, message }] }));
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': String(body.length) });
  res.end(body);
}
