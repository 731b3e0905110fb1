/**
 * Redirects followed by hand, so that credentials stay with the origin they were given for.
 *
 * A Hugging Face `resolve` URL answers 302 with a signed CDN URL on another host; the token must not travel there
 * (the CDN does not need it, and a token in a third party's logs is a leak). fetch's own `redirect: 'follow'`
 * leaves that decision to the runtime, so redirects are followed here: same method (GET or HEAD), same headers,
 * minus `credentials` once the URL leaves the first origin (scheme, host and port; RFC 6454), never restored.
 * Reference: https://fetch.spec.whatwg.org/#http-redirect-fetch (step "remove Authorization on cross-origin")
 */
import { AirbundleError } from '../../errors.js';

/** Most redirects followed for one request (fetch's own limit is 20; a Hub download takes one). */
export const MAX_REDIRECTS = 10;

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

/** RedirectingRequest is a GET or HEAD with ordinary headers and origin-bound credentials. */
export interface RedirectingRequest {
  url: string;
  method?: 'GET' | 'HEAD';
  headers?: Record<string, string>;
  /** Headers sent only to the origin of `url` (Authorization); dropped for good on a cross-origin redirect. */
  credentials?: Record<string, string>;
  signal?: AbortSignal;
}

/** Followed is the final response and the URL that gave it. */
export interface Followed {
  response: Response;
  url: string;
}

/**
 * fetchFollowingRedirects sends the request and follows redirects itself (at most {@link MAX_REDIRECTS}).
 * Network errors propagate as fetch throws them; a redirect without Location is returned as the response.
 */
export async function fetchFollowingRedirects(req: RedirectingRequest): Promise<Followed> {
  const origin = new URL(req.url).origin;
  let url = req.url;
  let credentials = req.credentials ?? {};
  for (let hops = 0; ; hops += 1) {
    const response = await fetch(url, { method: req.method ?? 'GET', headers: { ...req.headers, ...credentials }, redirect: 'manual', signal: req.signal });
    const location = response.headers.get('location');
    if (!REDIRECT_STATUSES.has(response.status) || location === null) return { response, url };
    await response.body?.cancel().catch(() => undefined);
    if (hops >= MAX_REDIRECTS) {
      throw new AirbundleError('SOURCE_HTTP_STATUS', `${req.url}: more than ${MAX_REDIRECTS} redirects (last to ${location})`, {
        hint: 'the server redirects in a loop; check the URL',
        details: { url: req.url, status: response.status },
      });
    }
    url = new URL(location, url).href;
    if (new URL(url).origin !== origin) credentials = {};
  }
}
