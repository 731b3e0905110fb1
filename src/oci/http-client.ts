/**
 * The only module of the registry client that touches the network: node:http/https with keep-alive agents (faster
 * than fetch for multi-GB uploads, and it streams a request body with a known Content-Length). Request bodies are
 * streamed from a factory, never buffered; response bodies are handed back as streams. Redirects are followed for
 * GET and HEAD only, and the Authorization header is dropped when a redirect leaves the origin (blob GETs on real
 * registries redirect to object storage, which must not see the registry's token).
 * Socket failures become REGISTRY_UNREACHABLE naming host:port (network-error.ts).
 */
import { readFile } from 'node:fs/promises';
import http, { type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import https from 'node:https';
import { rootCertificates } from 'node:tls';
import type { Readable } from 'node:stream';
import { AirbundleError, errorMessage, isAirbundleError } from '../errors.js';
import { formatSeconds, idleTimeoutOf } from '../util/idle-watchdog.js';
import { VERSION } from '../version.js';
import { networkError } from './network-error.js';
import { pump } from './request-pump.js';
import { abortedError } from './retry.js';

export type HttpMethod = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** StreamBody is a request body of known length that can be opened again for a retry. */
export interface StreamBody {
  length: number;
  open: () => Promise<Readable>;
}

/** RequestBody is small bytes in memory, or a stream of known length. */
export type RequestBody = Buffer | StreamBody;

/** HttpRequest is one request; `onBytes` reports request-body bytes as they go out. */
export interface HttpRequest {
  method: HttpMethod;
  url: URL;
  headers?: Record<string, string>;
  body?: RequestBody;
  signal?: AbortSignal;
  onBytes?: (n: number) => void;
}

/** HttpClientOptions; every option is off unless asked for. */
export interface HttpClientOptions {
  /** Speak plain HTTP instead of HTTPS (only when asked). */
  plainHttp?: boolean;
  /** Skip TLS certificate verification. */
  insecure?: boolean;
  /** PEM file of CA certificates to trust in addition to the system ones. */
  caFile?: string;
  /** A socket idle this long fails the request (ETIMEDOUT). Default 120 s. */
  timeoutMs?: number;
  /** Default `airbundle/<version>`. */
  userAgent?: string;
  /** Default 10. */
  maxRedirects?: number;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
/** HttpResponse is a response whose body has not been read yet. */
export class HttpResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  /** The URL that answered (after redirects). */
  readonly url: URL;
  readonly body: Readable;

  constructor(status: number, headers: IncomingHttpHeaders, url: URL, body: Readable) {
    this.status = status;
    this.headers = headers;
    this.url = url;
    this.body = body;
  }

  /** header returns one header (lowercase or not), joined when repeated. */
  header(name: string): string | undefined {
    const value = this.headers[name.toLowerCase()];
    return Array.isArray(value) ? value.join(', ') : value;
  }

  /** bytes reads the body into memory, failing past `limit` bytes. */
  async bytes(limit: number): Promise<Buffer> {
    const parts: Buffer[] = [];
    let total = 0;
    for await (const chunk of this.body) {
      const buf = chunk as Buffer;
      total += buf.length;
      if (total > limit) {
        this.body.destroy();
        throw new AirbundleError('REGISTRY_ERROR', `${this.url.host} sent more than ${limit} bytes for ${this.url.pathname}`);
      }
      parts.push(buf);
    }
    return Buffer.concat(parts);
  }

  /** text reads at most `limit` bytes of the body as UTF-8 (for error bodies); the rest is dropped. */
  async text(limit = 64 * 1024): Promise<string> {
    const parts: Buffer[] = [];
    let total = 0;
    try {
      for await (const chunk of this.body) {
        const buf = chunk as Buffer;
        parts.push(buf.subarray(0, Math.max(0, limit - total)));
        total += buf.length;
        if (total >= limit) {
          this.body.destroy();
          break;
        }
      }
    } catch {
      // an error body cut short is still worth quoting
    }
    return Buffer.concat(parts).toString('utf8');
  }

  /** discard drops the body so that the connection can be reused. */
  discard(): void {
    this.body.resume();
  }
}

/** HttpClient sends requests to registries (and where they redirect). One per registry host. */
export class HttpClient {
  readonly #options: HttpClientOptions;
  readonly #timeoutMs: number;
  readonly #answered = new Set<string>();
  readonly #httpAgent = new http.Agent({ keepAlive: true, scheduling: 'lifo' });
  #httpsAgent: Promise<https.Agent> | undefined;

  constructor(options: HttpClientOptions = {}) {
    this.#options = options;
    this.#timeoutMs = idleTimeoutOf(options.timeoutMs);
  }

  /** baseUrl is the root URL of a registry host under the configured scheme. */
  baseUrl(host: string): URL {
    return new URL(`${this.#options.plainHttp === true ? 'http' : 'https'}://${host}/`);
  }

  /** hasAnswered tells whether the origin has answered any request before (for retrying ECONNREFUSED). */
  hasAnswered(url: URL): boolean {
    return this.#answered.has(url.origin);
  }

  /** send makes a request, following redirects of GET and HEAD. The caller must consume or discard the body. */
  async send(req: HttpRequest): Promise<HttpResponse> {
    const headers: Record<string, string> = { 'user-agent': this.#options.userAgent ?? `airbundle/${VERSION}`, ...lower(req.headers) };
    let url = req.url;
    const maxRedirects = this.#options.maxRedirects ?? 10;
    for (let redirects = 0; ; redirects += 1) {
      const res = await this.#once(req, url, headers);
      const location = res.header('location');
      if (!REDIRECTS.has(res.status) || location === undefined || (req.method !== 'GET' && req.method !== 'HEAD')) return res;
      res.discard();
      if (redirects >= maxRedirects) {
        throw new AirbundleError('REGISTRY_ERROR', `${url.host}: more than ${maxRedirects} redirects for ${url.pathname}`);
      }
      const next = new URL(location, url);
      if (next.protocol !== 'https:' && next.protocol !== 'http:') {
        throw new AirbundleError('REGISTRY_ERROR', `${url.host} redirected ${url.pathname} to an unsupported ${next.protocol} URL`);
      }
      if (next.protocol === 'http:' && url.protocol === 'https:' && this.#options.plainHttp !== true) {
        throw new AirbundleError('REGISTRY_ERROR', `${url.host} redirected ${url.pathname} from HTTPS to plain HTTP (${next.host}); refusing`, {
          hint: 'pass --plain-http only if plain HTTP is really intended',
        });
      }
      // Credentials are for the registry only: object storage behind a redirect gets a pre-signed URL instead.
      if (next.origin !== url.origin) delete headers.authorization;
      url = next;
    }
  }

  /** close drops idle keep-alive connections. */
  close(): void {
    this.#httpAgent.destroy();
    void this.#httpsAgent?.then((agent) => agent.destroy());
  }

  async #once(req: HttpRequest, url: URL, headers: Record<string, string>): Promise<HttpResponse> {
    const body = req.body;
    const outHeaders = { ...headers };
    if (body !== undefined) outHeaders['content-length'] = String(body.length);
    else if (req.method === 'PUT' || req.method === 'POST' || req.method === 'PATCH') outHeaders['content-length'] = '0';
    const agent = url.protocol === 'https:' ? await this.#tlsAgent() : this.#httpAgent;
    const mod = url.protocol === 'https:' ? https : http;
    const source = body === undefined || Buffer.isBuffer(body) ? undefined : await body.open();

    return new Promise<HttpResponse>((resolve, reject) => {
      let settled = false;
      let bodyError: unknown;
      const fail = (err: unknown): void => {
        if (settled) return;
        settled = true;
        source?.destroy();
        if (req.signal?.aborted === true) reject(abortedError(`${req.method} ${url.host}${url.pathname}`, req.signal.reason));
        else if (bodyError !== undefined) reject(bodyError);
        else reject(isAirbundleError(err) ? err : networkError(err, url, this.hasAnswered(url)));
      };
      const request = mod.request(url, { method: req.method, headers: outHeaders, agent, signal: req.signal }, (res: IncomingMessage) => {
        this.#answered.add(url.origin);
        if (settled) {
          res.resume();
          return;
        }
        settled = true;
        if (source !== undefined && !request.writableEnded) {
          // The server answered before the body was all sent (401, 413, …): the pump stops, and the socket,
          // which is now mid-request, is closed once the response has been read.
          res.once('end', () => request.destroy());
        }
        resolve(new HttpResponse(res.statusCode ?? 0, res.headers, url, res));
      });
      request.setTimeout(this.#timeoutMs, () => {
        const err = Object.assign(new Error(`no data for ${formatSeconds(this.#timeoutMs)}`), { code: 'ETIMEDOUT' });
        request.destroy(err);
      });
      request.on('error', fail);
      if (source === undefined) {
        request.end(Buffer.isBuffer(body) ? body : undefined);
        return;
      }
      const length = (body as StreamBody).length;
      const onBodyError = (err: unknown): void => {
        bodyError = err;
        request.destroy(err instanceof Error ? err : new Error(String(err)));
      };
      void pump(source, length, url, req.onBytes, request, () => settled, onBodyError);
    });
  }

  #tlsAgent(): Promise<https.Agent> {
    this.#httpsAgent ??= (async () => {
      let ca: string[] | undefined;
      const caFile = this.#options.caFile;
      if (caFile !== undefined) {
        try {
          ca = [...rootCertificates, await readFile(caFile, 'utf8')];
        } catch (err) {
          throw new AirbundleError('USAGE', `cannot read the CA file ${caFile}: ${errorMessage(err)}`, { cause: err });
        }
      }
      return new https.Agent({ keepAlive: true, scheduling: 'lifo', rejectUnauthorized: this.#options.insecure !== true, ...(ca === undefined ? {} : { ca }) });
    })();
    return this.#httpsAgent;
  }
}

function lower(headers: Record<string, string> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers ?? {})) out[k.toLowerCase()] = v;
  return out;
}
