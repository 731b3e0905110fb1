/**
 * Transport stacks the three layers every registry request goes through: auth (answer a 401 challenge once, then
 * give up with REGISTRY_AUTH), the retry policy (retryable statuses and socket failures, via `withRetry`), and the
 * HTTP client. Requests whose body cannot be replayed, and steps of a blob upload (whose recovery is the upload's
 * own job), pass `retry: false`, so that no request is ever retried by two loops.
 */
import type { ProgressSink } from '../progress/events.js';
import type { Authenticator, Scope } from './auth.js';
import { responseError } from './errcode.js';
import type { HttpClient, HttpRequest, HttpResponse } from './http-client.js';
import { retryableStatus, withRetry, type RetryPolicy } from './retry.js';

/** TransportOptions for {@link Transport}. */
export interface TransportOptions {
  /** Registry as named in references, for messages. */
  registry: string;
  /** Host that serves the API (differs for Docker Hub). */
  apiHost: string;
  http: HttpClient;
  auth: Authenticator;
  retry: RetryPolicy;
  onEvent?: ProgressSink;
  /** Progress phase of retry events. Default `registry`. */
  phase?: string;
}

/** TransportRequest is an HTTP request with what the auth and retry layers need to know. */
export interface TransportRequest extends HttpRequest {
  /** Token scopes the request needs. */
  scopes: readonly Scope[];
  /** What the request does, for messages: `pushing blob sha256:… to host/repo`. */
  what: string;
  /** Item named in retry events. Default the URL path. */
  item?: string;
  /** Retry under the policy (default true). */
  retry?: boolean;
}

/** Transport sends authenticated, retried requests to one registry. */
export class Transport {
  readonly registry: string;
  readonly http: HttpClient;
  readonly #options: TransportOptions;
  readonly #base: URL;

  constructor(options: TransportOptions) {
    this.#options = options;
    this.registry = options.registry;
    this.http = options.http;
    this.#base = options.http.baseUrl(options.apiHost);
  }

  /** url resolves a path (`/v2/…`) or a Location header against the registry. */
  url(pathOrLocation: string, relativeTo: URL = this.#base): URL {
    return new URL(pathOrLocation, relativeTo);
  }

  /**
   * send makes the request. The response can have any status but 401 (answered here, or REGISTRY_AUTH) and the
   * retryable ones (retried, then thrown as REGISTRY_ERROR); the caller reads or discards the body.
   */
  async send(req: TransportRequest): Promise<HttpResponse> {
    const once = async (): Promise<HttpResponse> => {
      const auth = this.#options.auth;
      const headers: Record<string, string> = { ...req.headers };
      const sent = await auth.authorization(req.scopes, req.signal);
      if (sent !== undefined) headers.authorization = sent;
      let res = await this.http.send({ ...req, headers });
      if (res.status === 401) {
        headers.authorization = await auth.challenged(res, req.scopes, sent, req.signal);
        res = await this.http.send({ ...req, headers });
        if (res.status === 401) {
          res.discard();
          throw await auth.refused();
        }
      }
      if (retryableStatus(res.status)) throw await responseError(res, req.what, { registry: this.registry });
      return res;
    };
    if (req.retry === false) return once();
    return withRetry(once, this.#options.retry, {
      signal: req.signal,
      onEvent: this.#options.onEvent,
      phase: this.#options.phase ?? 'registry',
      item: req.item ?? `${this.registry}${req.url.pathname}`,
    });
  }

  /** retryContext is what `withRetry` needs for an operation of this transport (blob uploads run their own loop). */
  retryContext(item: string, signal?: AbortSignal): { policy: RetryPolicy; ctx: { signal?: AbortSignal; onEvent?: ProgressSink; phase: string; item: string } } {
    return { policy: this.#options.retry, ctx: { signal, onEvent: this.#options.onEvent, phase: this.#options.phase ?? 'registry', item } };
  }
}
