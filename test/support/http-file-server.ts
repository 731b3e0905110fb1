/**
 * A real HTTP file server for download tests: ranges, conditional requests and validators as RFC 9110 has them,
 * plus faults on demand (503s, connections cut mid-body, a throttle slow enough to kill a client mid-file).
 * `planFileResponse` is the pure part (request headers and file facts in, status/headers/range out); the
 * node:http binding only moves bytes and applies the faults.
 * Reference: https://www.rfc-editor.org/rfc/rfc9110#name-range-requests
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { resolve, sep } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** FileFacts is what a response plan needs to know of a file. */
export interface FileFacts {
  size: number;
  /** Strong ETag, quoted; undefined to send none. */
  etag: string | undefined;
  /** Undefined to send no Last-Modified. */
  lastModified: Date | undefined;
}

/** ResponsePlan says what to answer; `range` is the half-open byte window of the file to send as the body. */
export interface ResponsePlan {
  status: number;
  headers: Record<string, string>;
  range?: { start: number; end: number };
}

/** planFileResponse answers a GET or HEAD of a file (undefined: not found), honouring Range, If-Range and conditionals. */
export function planFileResponse(method: string, headers: IncomingHttpHeaders, file: FileFacts | undefined): ResponsePlan {
  if (method !== 'GET' && method !== 'HEAD') return { status: 405, headers: { allow: 'GET, HEAD', 'content-length': '0' } };
  if (file === undefined) return { status: 404, headers: { 'content-length': '0' } };
  const validators: Record<string, string> = { 'accept-ranges': 'bytes' };
  if (file.etag !== undefined) validators.etag = file.etag;
  const lastModified = file.lastModified?.toUTCString();
  if (lastModified !== undefined) validators['last-modified'] = lastModified;

  const inm = headerOf(headers, 'if-none-match');
  const ims = headerOf(headers, 'if-modified-since');
  if (inm !== undefined) {
    if (inm.split(',').some((t) => t.trim() === '*' || t.trim().replace(/^W\//, '') === file.etag)) return { status: 304, headers: validators };
  } else if (ims !== undefined && file.lastModified !== undefined && Math.floor(file.lastModified.getTime() / 1000) <= Date.parse(ims) / 1000) {
    return { status: 304, headers: validators };
  }

  const whole: ResponsePlan = { status: 200, headers: { ...validators, 'content-length': String(file.size) }, range: { start: 0, end: file.size } };
  const rangeHeader = headerOf(headers, 'range');
  if (rangeHeader === undefined || method !== 'GET') return whole;
  const ifRange = headerOf(headers, 'if-range');
  if (ifRange !== undefined && !(ifRange === file.etag && !ifRange.startsWith('W/')) && ifRange !== lastModified) return whole;
  const m = /^bytes=(\d*)-(\d*)$/.exec(rangeHeader.trim());
  if (m === null || (m[1] === '' && m[2] === '')) return whole;
  let start: number;
  let end: number;
  if (m[1] === '') {
    start = Math.max(file.size - Number(m[2]), 0);
    end = file.size;
  } else {
    start = Number(m[1]);
    end = m[2] === '' ? file.size : Math.min(Number(m[2]) + 1, file.size);
  }
  if (start >= file.size || start >= end) {
    return { status: 416, headers: { ...validators, 'content-range': `bytes */${file.size}`, 'content-length': '0' } };
  }
  return {
    status: 206,
    headers: { ...validators, 'content-range': `bytes ${start}-${end - 1}/${file.size}`, 'content-length': String(end - start) },
    range: { start, end },
  };
}

function headerOf(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v.join(', ') : v;
}

/** RequestRecord is one request as the server saw it, and how many body bytes it sent back. */
export interface RequestRecord {
  method: string;
  path: string;
  range: string | undefined;
  ifRange: string | undefined;
  ifNoneMatch: string | undefined;
  status: number;
  bytesSent: number;
  /** True when the server cut the connection on purpose. */
  cut: boolean;
}

/** HttpFileServerOptions for {@link startHttpFileServer}. */
export interface HttpFileServerOptions {
  /** Files by URL path (`/models/x.bin`). */
  files?: Record<string, Buffer>;
  /** Serve files under this directory as well (after `files`). */
  dir?: string;
  /** Redirects by URL path: answered 302 with the given Location. */
  redirects?: Record<string, string>;
  /** Send ETag headers (default true). */
  etag?: boolean;
  /** Send Last-Modified headers (default true). */
  lastModified?: boolean;
  /** Send bodies at about this rate. Default: as fast as possible. */
  throttleBytesPerSecond?: number;
}

/** HttpFileServer is a running server and its controls. */
export interface HttpFileServer {
  /** Base URL, no trailing slash: `http://127.0.0.1:PORT`. */
  url: string;
  /** Every request, in arrival order; `bytesSent` grows while a body is sent. */
  requests: RequestRecord[];
  /** setFile adds or replaces a file (new content gets a new ETag and Last-Modified). */
  setFile(path: string, bytes: Buffer): void;
  /** failNext answers the next `count` requests with `status` (default 503). */
  failNext(count: number, status?: number): void;
  /** cutNext cuts the connection of the next `count` bodies after `afterBytes` bytes. */
  cutNext(afterBytes: number, count?: number): void;
  /** throttle sets the body rate in bytes per second; undefined for full speed. */
  throttle(bytesPerSecond: number | undefined): void;
  /** bytesSent sums body bytes sent across requests, optionally only those for `path`. */
  bytesSent(path?: string): number;
  close(): Promise<void>;
}

interface MemoryFile {
  bytes: Buffer;
  facts: FileFacts;
}

/** startHttpFileServer starts a server on 127.0.0.1 with an ephemeral port. */
export async function startHttpFileServer(options: HttpFileServerOptions = {}): Promise<HttpFileServer> {
  const memory = new Map<string, MemoryFile>();
  const sendEtag = options.etag ?? true;
  const sendLastModified = options.lastModified ?? true;
  let version = 0;
  const setFile = (path: string, bytes: Buffer): void => {
    version += 1;
    const hash = createHash('sha256').update(bytes).digest('hex').slice(0, 16);
    // Whole seconds (what Last-Modified can carry), distinct per version so If-Range by date also tells versions apart.
    const lastModified = new Date((Math.floor(Date.now() / 1000) - 1_000_000 + version) * 1000);
    memory.set(path, { bytes, facts: { size: bytes.length, etag: sendEtag ? `"${hash}-${version}"` : undefined, lastModified: sendLastModified ? lastModified : undefined } });
  };
  for (const [path, bytes] of Object.entries(options.files ?? {})) setFile(path, bytes);

  const requests: RequestRecord[] = [];
  const sockets = new Set<Socket>();
  let failures: { count: number; status: number } = { count: 0, status: 503 };
  let cuts: { count: number; afterBytes: number } = { count: 0, afterBytes: 0 };
  let rate = options.throttleBytesPerSecond;

  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    const rec: RequestRecord = {
      method: req.method ?? 'GET',
      path,
      range: headerOf(req.headers, 'range'),
      ifRange: headerOf(req.headers, 'if-range'),
      ifNoneMatch: headerOf(req.headers, 'if-none-match'),
      status: 0,
      bytesSent: 0,
      cut: false,
    };
    requests.push(rec);
    void (async () => {
      if (failures.count > 0) {
        failures.count -= 1;
        rec.status = failures.status;
        res.writeHead(failures.status, { 'content-length': '0' }).end();
        return;
      }
      const location = options.redirects?.[path];
      if (location !== undefined) {
        rec.status = 302;
        res.writeHead(302, { location, 'content-length': '0' }).end();
        return;
      }
      const found = memory.get(path) ?? (await diskFile(options.dir, path, sendEtag, sendLastModified));
      const plan = planFileResponse(rec.method, req.headers, found?.facts);
      rec.status = plan.status;
      res.writeHead(plan.status, plan.headers);
      if (rec.method === 'HEAD' || plan.range === undefined || found === undefined) {
        res.end();
        return;
      }
      const cutAt = cuts.count > 0 ? cuts.afterBytes : undefined;
      if (cutAt !== undefined) cuts.count -= 1;
      await sendBody(res, found, plan.range, rec, cutAt, () => rate);
    })().catch(() => res.destroy());
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const port = (server.address() as AddressInfo).port;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    setFile,
    failNext: (count, status = 503) => {
      failures = { count, status };
    },
    cutNext: (afterBytes, count = 1) => {
      cuts = { count, afterBytes };
    },
    throttle: (bytesPerSecond) => {
      rate = bytesPerSecond;
    },
    bytesSent: (path) => requests.filter((r) => path === undefined || r.path === path).reduce((n, r) => n + r.bytesSent, 0),
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((ok) => server.close(() => ok()));
    },
  };
}

/** diskFile looks a URL path up under `dir` (never outside it). */
async function diskFile(dir: string | undefined, path: string, etag: boolean, lastModified: boolean): Promise<(MemoryFile & { path: string }) | undefined> {
  if (dir === undefined) return undefined;
  const root = resolve(dir);
  const abs = resolve(root, `.${path}`);
  if (!abs.startsWith(root + sep)) return undefined;
  const st = await stat(abs).catch(() => undefined);
  if (st?.isFile() !== true) return undefined;
  return {
    path: abs,
    bytes: Buffer.alloc(0),
    facts: {
      size: st.size,
      etag: etag ? `"${st.size.toString(16)}-${Math.floor(st.mtimeMs).toString(16)}"` : undefined,
      lastModified: lastModified ? new Date(Math.floor(st.mtimeMs / 1000) * 1000) : undefined,
    },
  };
}

/**
 * sendBody writes `range` of the file in slices, honouring backpressure and the throttle. With `cutAt`, it stops
 * after that many bytes, lets the client take them in, then destroys the socket (a connection lost mid-body).
 */
async function sendBody(
  res: ServerResponse,
  file: MemoryFile & { path?: string },
  range: { start: number; end: number },
  rec: RequestRecord,
  cutAt: number | undefined,
  rate: () => number | undefined,
): Promise<void> {
  const started = Date.now();
  const limit = cutAt === undefined ? range.end : Math.min(range.end, range.start + cutAt);
  for await (const slice of readRange(file, range.start, limit)) {
    if (res.destroyed) return;
    const ok = res.write(slice);
    rec.bytesSent += slice.length;
    if (!ok) await drained(res);
    const r = rate();
    if (r !== undefined) {
      const due = started + (rec.bytesSent / r) * 1000;
      if (due > Date.now()) await sleep(due - Date.now());
    }
  }
  if (limit < range.end) {
    rec.cut = true;
    await new Promise<void>((done) => res.write('', () => done()));
    await sleep(100);
    res.socket?.destroy();
    return;
  }
  res.end();
}

/** drained waits until `res` can take more, or is gone. */
async function drained(res: ServerResponse): Promise<void> {
  await new Promise<void>((done) => {
    const settle = (): void => {
      res.off('drain', settle);
      res.off('close', settle);
      done();
    };
    res.on('drain', settle);
    res.on('close', settle);
  });
}

async function* readRange(file: MemoryFile & { path?: string }, start: number, end: number): AsyncGenerator<Buffer> {
  const slice = 16 * 1024;
  if (file.path === undefined) {
    for (let pos = start; pos < end; pos += slice) yield file.bytes.subarray(pos, Math.min(pos + slice, end));
    return;
  }
  if (end <= start) return;
  for await (const chunk of createReadStream(file.path, { start, end: end - 1, highWaterMark: slice })) yield chunk as Buffer;
}
