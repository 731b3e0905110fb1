/**
 * A Hugging Face Hub emulator for download tests: two real node:http servers on 127.0.0.1, the Hub and a "CDN" on
 * another port (another origin), speaking the documented protocol (peers-and-model-formats.md §6):
 *   GET  /api/models/{repo}/revision/{rev}              {id, sha, lastModified, private, gated, siblings}
 *   GET  /api/models/{repo}/tree/{rev}[/{path}]?recursive=true   entries, paginated with Link: <…>; rel="next"
 *   HEAD|GET /{repo}/resolve/{rev}/{path}                X-Repo-Commit, ETag (git oid); LFS files: 302 to the CDN with
 *                                                       X-Linked-Etag (sha256) and X-Linked-Size
 *   HEAD|GET (CDN) /repos/{xx}/{sha256}?X-Amz-…          the bytes, Range/If-Range/206; 400 if an Authorization arrives
 * Errors carry X-Error-Code (RepoNotFound, RevisionNotFound, EntryNotFound, GatedRepo) as the Hub sends them; without
 * a token a private or missing repo is 401 RepoNotFound.
 * `handleHub` and `handleCdn` are the pure parts (request in, answer out); the binding logs requests and applies the
 * faults tests ask for: a corrupted byte, a connection cut after N bytes, Range ignored (200), a throttle, failures.
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { planFileResponse } from './http-file-server.js';

/** HubFileInfo is a stored file as the listing describes it. */
export interface HubFileInfo {
  path: string;
  size: number;
  /** Git blob sha1 of the content (regular files) or of the LFS pointer (LFS files). */
  oid: string;
  /** sha256 of the content, hex. */
  sha256: string;
  lfs: boolean;
}

/** CommitOptions for {@link HfEmulator.addCommit}. */
export interface CommitOptions {
  files: Record<string, Buffer>;
  /** Which files go to LFS. Default: weights by extension, and anything of 64 KiB or more. */
  lfs?: (path: string, bytes: Buffer) => boolean;
  /** Branch moved to the new commit. Default main. */
  branch?: string;
  tags?: string[];
  /** Commit date (the API's lastModified). Default 2024-03-01T10:00:00Z plus one minute per commit. */
  date?: Date;
  /** Gated repo: files need a token with access. */
  gated?: boolean;
  /** Private repo: everything needs a token with access. */
  private?: boolean;
  /** Tokens given access to a gated or private repo (they become valid tokens). */
  access?: string[];
}

/** CommitInfo is what {@link HfEmulator.addCommit} made. */
export interface CommitInfo {
  sha: string;
  date: Date;
  files: HubFileInfo[];
}

/** HubRequest is one request as a server saw it, and how many body bytes it sent back. */
export interface HubRequest {
  server: 'hub' | 'cdn';
  method: string;
  /** Decoded path, no query. */
  path: string;
  range: string | undefined;
  ifRange: string | undefined;
  authorization: string | undefined;
  status: number;
  bytesSent: number;
  cut: boolean;
}

/** HfEmulatorOptions for {@link startHfEmulator}. */
export interface HfEmulatorOptions {
  /** Tree entries per page (the Hub uses 1000; small here so tests page). Default 2. */
  pageSize?: number;
  /** Valid tokens besides those given access to repos. */
  tokens?: string[];
}

/** HfEmulator is the running pair of servers and its controls. */
export interface HfEmulator {
  /** Hub base URL (HF_ENDPOINT), no trailing slash. */
  url: string;
  /** CDN base URL: another origin. */
  cdnUrl: string;
  requests: HubRequest[];
  /** addCommit adds a commit to a repo (made on first use) and moves its branch and tags there. */
  addCommit(repo: string, options: CommitOptions): CommitInfo;
  /** corrupt flips the byte at `at` (default: the middle) of every answer serving `content`, until healed. */
  corrupt(content: Buffer, at?: number): void;
  heal(content: Buffer): void;
  /** cutNext cuts the next `count` bodies of `server` after `afterBytes` bytes. */
  cutNext(afterBytes: number, count?: number, server?: 'hub' | 'cdn'): void;
  /** ignoreRange makes both servers answer 200 with the whole file to Range requests. */
  ignoreRange(on: boolean): void;
  /** throttle sets the body rate of both servers in bytes per second; undefined for full speed. */
  throttle(bytesPerSecond: number | undefined): void;
  /** failNext answers the next `count` requests to `server` with `status`. */
  failNext(count: number, status?: number, server?: 'hub' | 'cdn'): void;
  /** bytesSent sums body bytes sent by a server, optionally only for one path. */
  bytesSent(server: 'hub' | 'cdn', path?: string): number;
  /** cdnPath is the CDN path of a content (what `requests` records for it). */
  cdnPath(content: Buffer): string;
  close(): Promise<void>;
}

/** Request is the part of a request the pure handlers read. */
export interface Request {
  method: string;
  /** Raw path (percent-encoded), no query. */
  rawPath: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
}

/** Answer is what to send: a status, headers and either a small body or a window of a file. */
export interface Answer {
  status: number;
  headers: Record<string, string>;
  body?: Buffer;
  file?: { bytes: Buffer; start: number; end: number };
}

interface StoredFile extends HubFileInfo {
  bytes: Buffer;
  pointerSize: number | undefined;
}

interface RepoState {
  id: string;
  gated: boolean;
  private: boolean;
  access: Set<string>;
  refs: Map<string, string>;
  commits: Map<string, { sha: string; date: Date; files: Map<string, StoredFile> }>;
}

/** HubState is everything the servers know. */
export interface HubState {
  hubUrl: string;
  cdnUrl: string;
  pageSize: number;
  tokens: Set<string>;
  repos: Map<string, RepoState>;
  /** CDN store: content by sha256 hex. */
  blobs: Map<string, Buffer>;
}

const WEIGHTS = /\.(safetensors|bin|gguf|pt|pth|onnx|h5|msgpack)$/;
const FIXED_DATE = Date.parse('2024-03-01T10:00:00Z');

function gitOid(bytes: Buffer | string): string {
  const b = typeof bytes === 'string' ? Buffer.from(bytes) : bytes;
  return createHash('sha1').update(`blob ${b.length}\0`).update(b).digest('hex');
}

function json(status: number, value: unknown, headers: Record<string, string> = {}): Answer {
  const body = Buffer.from(JSON.stringify(value));
  return { status, headers: { 'content-type': 'application/json; charset=utf-8', 'content-length': String(body.length), ...headers }, body };
}

function hubRefusal(status: number, code: string | undefined, message: string): Answer {
  return json(status, { error: message }, { ...(code !== undefined ? { 'x-error-code': code } : {}), 'x-error-message': message });
}

function tokenOf(headers: IncomingHttpHeaders): string | undefined {
  const m = /^Bearer\s+(\S+)$/i.exec(headers.authorization ?? '');
  return m?.[1];
}

/** checkAccess answers like the Hub for a missing, private or gated repo; undefined means go ahead. */
function checkAccess(state: HubState, repoId: string, headers: IncomingHttpHeaders, files: boolean): Answer | undefined {
  const token = tokenOf(headers);
  if (token !== undefined && !state.tokens.has(token)) return hubRefusal(401, undefined, 'Invalid credentials in Authorization header');
  const repo = state.repos.get(repoId);
  const allowed = token !== undefined && repo?.access.has(token) === true;
  if (repo === undefined || (repo.private && !allowed)) {
    return hubRefusal(token !== undefined ? 404 : 401, 'RepoNotFound', `Repository Not Found for url: ${state.hubUrl}/api/models/${repoId}.`);
  }
  if (files && repo.gated && !allowed) {
    return token !== undefined
      ? hubRefusal(403, 'GatedRepo', `Access to model ${repoId} is restricted and you are not in the authorized list. Visit ${state.hubUrl}/${repoId} to ask for access.`)
      : hubRefusal(401, 'GatedRepo', `Access to model ${repoId} is restricted. You must have access to it and be authenticated to access it. Please log in.`);
  }
  return undefined;
}

function commitOf(repo: RepoState, rev: string): { sha: string; date: Date; files: Map<string, StoredFile> } | undefined {
  const sha = repo.refs.get(rev) ?? rev;
  return repo.commits.get(sha);
}

function cdnPathOf(sha256: string): string {
  return `/repos/${sha256.slice(0, 2)}/${sha256}`;
}

/** handleHub is the Hub's pure request handler. */
export function handleHub(state: HubState, req: Request): Answer {
  const segments = req.rawPath.split('/').slice(1);
  const decode = (s: string): string => decodeURIComponent(s);
  if (req.method !== 'GET' && req.method !== 'HEAD') return json(405, { error: 'method not allowed' });

  if (segments[0] === 'api' && segments[1] === 'models' && segments.length >= 6) {
    const repoId = `${decode(segments[2] ?? '')}/${decode(segments[3] ?? '')}`;
    const denied = checkAccess(state, repoId, req.headers, false);
    if (denied !== undefined) return denied;
    const repo = state.repos.get(repoId)!;
    const rev = decode(segments[5] ?? '');
    const commit = commitOf(repo, segments[4] === 'revision' ? segments.slice(5).map(decode).join('/') : rev);
    if (commit === undefined) return hubRefusal(404, 'RevisionNotFound', `Invalid rev id: ${rev}`);
    if (segments[4] === 'revision') {
      const owner = repoId.split('/')[0] ?? '';
      return json(200, {
        _id: commit.sha.slice(0, 24),
        id: repoId,
        modelId: repoId,
        author: owner,
        sha: commit.sha,
        lastModified: commit.date.toISOString(),
        private: repo.private,
        gated: repo.gated ? 'manual' : false,
        disabled: false,
        tags: [],
        siblings: [...commit.files.keys()].sort().map((rfilename) => ({ rfilename })),
      });
    }
    if (segments[4] === 'tree') return treePage(state, repoId, rev, commit.files, segments.slice(6).map(decode).join('/'), req.query);
  }

  if (segments.length >= 5 && segments[2] === 'resolve') {
    const repoId = `${decode(segments[0] ?? '')}/${decode(segments[1] ?? '')}`;
    const denied = checkAccess(state, repoId, req.headers, true);
    if (denied !== undefined) return denied;
    const commit = commitOf(state.repos.get(repoId)!, decode(segments[3] ?? ''));
    if (commit === undefined) return hubRefusal(404, 'RevisionNotFound', `Invalid rev id: ${decode(segments[3] ?? '')}`);
    const file = commit.files.get(segments.slice(4).map(decode).join('/'));
    if (file === undefined) return hubRefusal(404, 'EntryNotFound', `Entry not found`);
    const common = { 'x-repo-commit': commit.sha, etag: `"${file.oid}"`, 'accept-ranges': 'bytes' };
    if (file.lfs) {
      const location = `${state.cdnUrl}${cdnPathOf(file.sha256)}?X-Amz-Expires=3600&X-Amz-Signature=${file.sha256.slice(0, 16)}&response-content-disposition=${encodeURIComponent(`inline; filename="${file.path.split('/').pop() ?? ''}"`)}`;
      return { status: 302, headers: { ...common, 'x-linked-etag': `"${file.sha256}"`, 'x-linked-size': String(file.size), location, 'content-length': '0' } };
    }
    const plan = planFileResponse(req.method, req.headers, { size: file.size, etag: `"${file.oid}"`, lastModified: undefined });
    return { status: plan.status, headers: { ...plan.headers, ...common, 'content-type': 'application/octet-stream' }, ...(plan.range !== undefined ? { file: { bytes: file.bytes, start: plan.range.start, end: plan.range.end } } : {}) };
  }
  return hubRefusal(404, undefined, 'Not Found');
}

/** treePage lists a commit's tree (under `prefix`, recursive or not) one page at a time. */
function treePage(state: HubState, repoId: string, rev: string, files: Map<string, StoredFile>, prefix: string, query: URLSearchParams): Answer {
  const recursive = query.get('recursive') === 'true' || query.get('recursive') === '1';
  const base = prefix === '' ? '' : `${prefix}/`;
  const entries: Array<Record<string, unknown>> = [];
  const dirs = new Set<string>();
  for (const file of files.values()) {
    if (!file.path.startsWith(base)) continue;
    const rest = file.path.slice(base.length).split('/');
    for (let i = 1; i < rest.length && (recursive || i === 1); i += 1) dirs.add(base + rest.slice(0, i).join('/'));
    if (!recursive && rest.length > 1) continue;
    entries.push({
      type: 'file',
      oid: file.oid,
      size: file.size,
      path: file.path,
      ...(file.lfs ? { lfs: { oid: file.sha256, size: file.size, pointerSize: file.pointerSize } } : {}),
    });
  }
  for (const d of dirs) entries.push({ type: 'directory', oid: gitOid(d), size: 0, path: d });
  entries.sort((a, b) => (String(a.path) < String(b.path) ? -1 : 1));
  const start = Number(Buffer.from(query.get('cursor') ?? '', 'base64url').toString() || '0');
  const page = entries.slice(start, start + state.pageSize);
  const headers: Record<string, string> = {};
  if (start + state.pageSize < entries.length) {
    const next = new URL(`${state.hubUrl}/api/models/${repoId}/tree/${encodeURIComponent(rev)}${prefix === '' ? '' : `/${prefix}`}`);
    if (recursive) next.searchParams.set('recursive', 'true');
    next.searchParams.set('cursor', Buffer.from(String(start + state.pageSize)).toString('base64url'));
    headers.link = `<${next.href}>; rel="next"`;
  }
  return json(200, page, headers);
}

/** handleCdn is the CDN's pure request handler: bytes by sha256, with ranges; a request carrying credentials is refused. */
export function handleCdn(state: HubState, req: Request): Answer {
  if (req.headers.authorization !== undefined) {
    const body = Buffer.from('<Error><Code>InvalidArgument</Code><Message>Only one auth mechanism allowed</Message></Error>');
    return { status: 400, headers: { 'content-type': 'application/xml', 'content-length': String(body.length) }, body };
  }
  const m = /^\/repos\/[a-f0-9]{2}\/([a-f0-9]{64})$/.exec(req.rawPath);
  const bytes = m === null ? undefined : state.blobs.get(m[1] ?? '');
  const plan = planFileResponse(req.method, req.headers, bytes === undefined ? undefined : { size: bytes.length, etag: `"${m?.[1] ?? ''}"`, lastModified: new Date(FIXED_DATE) });
  return { status: plan.status, headers: plan.headers, ...(plan.range !== undefined && bytes !== undefined ? { file: { bytes, start: plan.range.start, end: plan.range.end } } : {}) };
}

/** startHfEmulator starts the Hub and its CDN on ephemeral loopback ports. */
export async function startHfEmulator(options: HfEmulatorOptions = {}): Promise<HfEmulator> {
  const state: HubState = { hubUrl: '', cdnUrl: '', pageSize: options.pageSize ?? 2, tokens: new Set(options.tokens ?? []), repos: new Map(), blobs: new Map() };
  const requests: HubRequest[] = [];
  const corrupted = new Map<string, number>();
  const cuts = { hub: { count: 0, after: 0 }, cdn: { count: 0, after: 0 } };
  const failures = { hub: { count: 0, status: 503 }, cdn: { count: 0, status: 503 } };
  let rangeIgnored = false;
  let rate: number | undefined;
  let commits = 0;
  const sockets = new Set<Socket>();

  const bind = (server: 'hub' | 'cdn', handle: (state: HubState, req: Request) => Answer): Server => {
    const http = createServer((req: IncomingMessage, res: ServerResponse) => {
      const u = new URL(req.url ?? '/', 'http://x');
      const headers = { ...req.headers };
      const rec: HubRequest = {
        server,
        method: req.method ?? 'GET',
        path: safeDecode(u.pathname),
        range: headers.range,
        ifRange: headerOf(headers['if-range']),
        authorization: headers.authorization,
        status: 0,
        bytesSent: 0,
        cut: false,
      };
      requests.push(rec);
      void (async () => {
        const failure = failures[server];
        if (failure.count > 0) {
          failure.count -= 1;
          rec.status = failure.status;
          res.writeHead(failure.status, { 'content-length': '0' }).end();
          return;
        }
        if (rangeIgnored) delete headers.range;
        const answer = handle(state, { method: rec.method, rawPath: u.pathname, query: u.searchParams, headers });
        rec.status = answer.status;
        res.writeHead(answer.status, answer.headers);
        if (rec.method === 'HEAD' || answer.file === undefined) {
          res.end(rec.method === 'HEAD' ? undefined : answer.body);
          return;
        }
        const key = createHash('sha256').update(answer.file.bytes).digest('hex');
        const flip = corrupted.get(key);
        const bytes = flip === undefined ? answer.file.bytes : flipped(answer.file.bytes, flip);
        const cut = cuts[server];
        const cutAt = cut.count > 0 ? cut.after : undefined;
        if (cutAt !== undefined) cut.count -= 1;
        await sendBody(res, bytes, answer.file.start, answer.file.end, rec, cutAt, () => rate);
      })().catch(() => res.destroy());
    });
    http.on('connection', (s: Socket) => {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
    });
    return http;
  };

  const hub = bind('hub', handleHub);
  const cdn = bind('cdn', handleCdn);
  await Promise.all([hub, cdn].map((s) => new Promise<void>((ok) => s.listen(0, '127.0.0.1', ok))));
  state.hubUrl = `http://127.0.0.1:${(hub.address() as AddressInfo).port}`;
  // Another origin: same loopback host, another port (RFC 6454: the port is part of the origin).
  state.cdnUrl = `http://127.0.0.1:${(cdn.address() as AddressInfo).port}`;

  return {
    url: state.hubUrl,
    cdnUrl: state.cdnUrl,
    requests,
    addCommit: (repoId, o) => {
      commits += 1;
      let repo = state.repos.get(repoId);
      if (repo === undefined) {
        repo = { id: repoId, gated: false, private: false, access: new Set(), refs: new Map(), commits: new Map() };
        state.repos.set(repoId, repo);
      }
      if (o.gated !== undefined) repo.gated = o.gated;
      if (o.private !== undefined) repo.private = o.private;
      for (const t of o.access ?? []) {
        repo.access.add(t);
        state.tokens.add(t);
      }
      const isLfs = o.lfs ?? ((path: string, bytes: Buffer) => WEIGHTS.test(path) || bytes.length >= 64 * 1024);
      const files = new Map<string, StoredFile>();
      for (const [path, bytes] of Object.entries(o.files)) {
        const sha256 = createHash('sha256').update(bytes).digest('hex');
        const lfs = isLfs(path, bytes);
        const pointer = `version https://git-lfs.github.com/spec/v1\noid sha256:${sha256}\nsize ${bytes.length}\n`;
        files.set(path, { path, size: bytes.length, sha256, lfs, bytes, oid: gitOid(lfs ? pointer : bytes), pointerSize: lfs ? pointer.length : undefined });
        if (lfs) state.blobs.set(sha256, bytes);
      }
      const listing = [...files.values()].map((f) => `${f.path} ${f.oid}`).sort().join('\n');
      const sha = createHash('sha1').update(`${repoId}\n${commits}\n${listing}`).digest('hex');
      const date = o.date ?? new Date(FIXED_DATE + commits * 60_000);
      repo.commits.set(sha, { sha, date, files });
      repo.refs.set(o.branch ?? 'main', sha);
      for (const t of o.tags ?? []) repo.refs.set(t, sha);
      return { sha, date, files: [...files.values()].map(({ path, size, oid, sha256, lfs }) => ({ path, size, oid, sha256, lfs })) };
    },
    corrupt: (content, at) => {
      corrupted.set(createHash('sha256').update(content).digest('hex'), at ?? Math.floor(content.length / 2));
    },
    heal: (content) => {
      corrupted.delete(createHash('sha256').update(content).digest('hex'));
    },
    cutNext: (afterBytes, count = 1, server = 'cdn') => {
      cuts[server] = { count, after: afterBytes };
    },
    ignoreRange: (on) => {
      rangeIgnored = on;
    },
    throttle: (bytesPerSecond) => {
      rate = bytesPerSecond;
    },
    failNext: (count, status = 503, server = 'hub') => {
      failures[server] = { count, status };
    },
    bytesSent: (server, path) => requests.filter((r) => r.server === server && (path === undefined || r.path === path)).reduce((n, r) => n + r.bytesSent, 0),
    cdnPath: (content) => cdnPathOf(createHash('sha256').update(content).digest('hex')),
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await Promise.all([hub, cdn].map((s) => new Promise<void>((ok) => s.close(() => ok()))));
    },
  };
}

function flipped(bytes: Buffer, at: number): Buffer {
  const copy = Buffer.from(bytes);
  const i = Math.min(Math.max(at, 0), copy.length - 1);
  if (i >= 0) copy[i] = (copy[i] ?? 0) ^ 0xff;
  return copy;
}

function headerOf(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v.join(', ') : v;
}

function safeDecode(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}

/** sendBody writes bytes [start, end) in slices, with backpressure and the throttle; `cutAt` destroys the socket mid-body. */
async function sendBody(res: ServerResponse, bytes: Buffer, start: number, end: number, rec: HubRequest, cutAt: number | undefined, rate: () => number | undefined): Promise<void> {
  const began = Date.now();
  const limit = cutAt === undefined ? end : Math.min(end, start + cutAt);
  const slice = 16 * 1024;
  for (let pos = start; pos < limit; pos += slice) {
    if (res.destroyed) return;
    const piece = bytes.subarray(pos, Math.min(pos + slice, limit));
    const ok = res.write(piece);
    rec.bytesSent += piece.length;
    if (!ok) await new Promise<void>((done) => {
      const settle = (): void => {
        res.off('drain', settle);
        res.off('close', settle);
        done();
      };
      res.on('drain', settle);
      res.on('close', settle);
    });
    const r = rate();
    if (r !== undefined) {
      const due = began + (rec.bytesSent / r) * 1000;
      if (due > Date.now()) await sleep(due - Date.now());
    }
  }
  if (limit < end) {
    rec.cut = true;
    await new Promise<void>((done) => res.write('', () => done()));
    await sleep(100);
    res.socket?.destroy();
    return;
  }
  res.end();
}
