/**
 * The two JSON calls of the Hugging Face Hub API a download needs, over fetch:
 *   GET /api/models/{repo}/revision/{quote(rev)}       → `sha` (40-hex commit), `lastModified` (its date)
 *   GET /api/models/{repo}/tree/{commit}?recursive=true → files, paginated with `Link: <…>; rel="next"`
 * `Authorization: Bearer $HF_TOKEN` goes to the endpoint's origin only (also across redirects). Transient failures
 * (5xx, 408, 429, resets) are retried by the one retry loop of the code base (oci/retry.ts).
 * Reference: huggingface_hub `hf_api.py` (`model_info`, `list_repo_tree`), `utils/_pagination.py` (v1.x).
 */
import { AirbundleError, isAirbundleError } from '../../errors.js';
import { RetryPolicy, retryableNetworkError, transientDetails, withRetry } from '../../oci/retry.js';
import type { ProgressSink } from '../../progress/events.js';
import { VERSION } from '../../version.js';
import { fetchFollowingRedirects } from '../http/follow-redirects.js';
import { formatSeconds, watchIdle } from '../../util/idle-watchdog.js';
import { hubError, refusalOf, type HubTarget } from './hub-errors.js';
import { parseTreePage, type HubFile } from './tree-entry.js';
import { rootMessage, socketCode } from '../../util/network-errors.js';

/** Largest JSON answer read (a tree page of 1000 entries is well under 1 MiB). */
const MAX_JSON_BYTES = 32 * 1024 * 1024;

/** HubApiOptions for {@link HubApi}. */
export interface HubApiOptions {
  /** The model's name in the spec, for messages. */
  model: string;
  /** Hub base URL without trailing slash. */
  endpoint: string;
  /** `org/name`. */
  repo: string;
  token: string | undefined;
  signal?: AbortSignal;
  onEvent?: ProgressSink;
  /** A call that receives nothing for this long is dropped and retried. Default: idle-watchdog.ts's (120 s). */
  idleTimeoutMs?: number;
}

/** HubCommit is a revision resolved to its commit. */
export interface HubCommit {
  /** 40-hex commit id. */
  sha: string;
  /** Date of the commit, RFC 3339, when the Hub says. */
  lastModified: string | undefined;
}

/** HubApi reads a model repository's metadata from the Hub. */
export class HubApi {
  readonly #o: HubApiOptions;
  readonly #origin: string;

  constructor(options: HubApiOptions) {
    this.#o = options;
    this.#origin = new URL(options.endpoint).origin;
  }

  /** credentials are the headers only the Hub's origin gets (none without a token). */
  get credentials(): Record<string, string> | undefined {
    return this.#o.token === undefined ? undefined : { authorization: `Bearer ${this.#o.token}` };
  }

  /** target describes a request for error messages. */
  target(extra: { revision?: string; path?: string } = {}): HubTarget {
    return { model: this.#o.model, endpoint: this.#o.endpoint, repo: this.#o.repo, tokenSent: this.#o.token !== undefined, ...extra };
  }

  /** resolveRevision turns a branch, tag or commit into the 40-hex commit and its date. */
  async resolveRevision(revision: string): Promise<HubCommit> {
    const url = `${this.#o.endpoint}/api/models/${this.#o.repo}/revision/${encodeURIComponent(revision)}`;
    const { body } = await this.#getJson(url, { revision });
    const info = (body ?? {}) as Record<string, unknown>;
    if (typeof info.sha !== 'string' || !/^[a-f0-9]{40}$/.test(info.sha)) {
      throw new AirbundleError('SOURCE_INVALID', `model "${this.#o.model}": the Hub did not give a commit for ${this.#o.repo}@${revision}`, {
        hint: 'HF_ENDPOINT must point at a Hugging Face Hub (or a faithful mirror)',
        details: { repo: this.#o.repo, revision, url },
      });
    }
    const date = typeof info.lastModified === 'string' ? new Date(info.lastModified) : undefined;
    return { sha: info.sha, lastModified: date !== undefined && !Number.isNaN(date.getTime()) ? date.toISOString() : undefined };
  }

  /** listFiles lists every file of the repository at `commit`, following the pagination to the end. */
  async listFiles(commit: string): Promise<HubFile[]> {
    const files: HubFile[] = [];
    const seen = new Set<string>();
    let url: string | undefined = `${this.#o.endpoint}/api/models/${this.#o.repo}/tree/${commit}?recursive=true`;
    while (url !== undefined) {
      if (seen.has(url)) throw new AirbundleError('SOURCE_INVALID', `model "${this.#o.model}": the Hub's listing of ${this.#o.repo} pages in a loop (${url})`);
      seen.add(url);
      const page: { body: unknown; next: string | undefined } = await this.#getJson(url, { revision: commit });
      files.push(...parseTreePage(page.body, this.#o.model, this.#o.repo));
      url = page.next;
    }
    return files;
  }

  /** fileUrl is where a file's bytes are: `{endpoint}/{repo}/resolve/{commit}/{path}`. */
  fileUrl(commit: string, path: string): string {
    return `${this.#o.endpoint}/${this.#o.repo}/resolve/${commit}/${path.split('/').map(encodeURIComponent).join('/')}`;
  }

  /** #getJson GETs a JSON document (retrying transient failures) and the `rel="next"` link, if any. */
  async #getJson(url: string, what: { revision: string }): Promise<{ body: unknown; next: string | undefined }> {
    const state = { answeredBefore: false };
    return withRetry(
      async () =>
        watchIdle(
          this.#o.idleTimeoutMs,
          this.#o.signal,
          (watchdog) => this.#getJsonOnce(url, what, watchdog.signal, state),
          (err, ms) =>
            new AirbundleError('SOURCE_UNREACHABLE', `model "${this.#o.model}": no data for ${formatSeconds(ms)} from ${new URL(url).host} (${this.#o.repo})`, {
              cause: err,
              hint: 'the Hub (or HF_ENDPOINT) stopped answering; --timeout sets how long to wait',
              details: { url, ...transientDetails() },
            }),
        ),
      new RetryPolicy(),
      { signal: this.#o.signal, onEvent: this.#o.onEvent, phase: 'resolve', item: `${this.#o.model} (hf://${this.#o.repo})` },
    );
  }

  /** #getJsonOnce is one attempt of {@link #getJson}, on `signal` (the caller's cancel and the idle watchdog). */
  async #getJsonOnce(
    url: string,
    what: { revision: string },
    signal: AbortSignal,
    state: { answeredBefore: boolean },
  ): Promise<{ body: unknown; next: string | undefined }> {
    let followed;
    try {
      const credentials = new URL(url).origin === this.#origin ? this.credentials : undefined;
      followed = await fetchFollowingRedirects({ url, headers: { accept: 'application/json', 'user-agent': `airbundle/${VERSION}` }, credentials, signal });
    } catch (err) {
      throw isAirbundleError(err) ? err : this.#unreachable(url, err, state.answeredBefore);
    }
    state.answeredBefore = true;
    const { response: res, url: servedBy } = followed;
    if (res.status !== 200) {
      await res.body?.cancel().catch(() => undefined);
      throw hubError(this.target(what), refusalOf(res, servedBy));
    }
    const text = await readText(res, url).catch((err: unknown) => {
      throw isAirbundleError(err) ? err : this.#unreachable(url, err, true);
    });
    let body: unknown;
    try {
      body = JSON.parse(text) as unknown;
    } catch (err) {
      throw new AirbundleError('SOURCE_INVALID', `model "${this.#o.model}": ${url} did not answer JSON`, { cause: err, hint: 'HF_ENDPOINT must point at a Hugging Face Hub (or a faithful mirror)' });
    }
    return { body, next: nextLink(res.headers.get('link'), servedBy) };
  }

  #unreachable(url: string, err: unknown, answeredBefore: boolean): AirbundleError {
    const code = socketCode(err);
    return new AirbundleError('SOURCE_UNREACHABLE', `model "${this.#o.model}": cannot reach ${new URL(url).host} for ${this.#o.repo}: ${rootMessage(err)}`, {
      cause: err,
      hint: 'check HF_ENDPOINT and that this machine can reach it (Node does not use HTTP_PROXY settings)',
      details: { url, ...(code !== undefined ? { code } : {}), ...(retryableNetworkError(code, answeredBefore) ? transientDetails() : {}) },
    });
  }
}

/** nextLink finds `<url>; rel="next"` in a Link header (RFC 8288), resolved against the page's URL. */
export function nextLink(header: string | null, base: string): string | undefined {
  if (header === null) return undefined;
  for (const part of header.split(/,(?=\s*<)/)) {
    const m = /^\s*<([^>]*)>(.*)$/.exec(part);
    if (m === null) continue;
    const rel = /;\s*rel\s*=\s*(?:"([^"]*)"|([^\s;,]+))/i.exec(m[2] ?? '');
    const values = (rel?.[1] ?? rel?.[2] ?? '').toLowerCase().split(/\s+/);
    if (values.includes('next')) return new URL(m[1] ?? '', base).href;
  }
  return undefined;
}

async function readText(res: Response, url: string): Promise<string> {
  const length = Number(res.headers.get('content-length') ?? Number.NaN);
  if (Number.isFinite(length) && length > MAX_JSON_BYTES) {
    await res.body?.cancel().catch(() => undefined);
    throw new AirbundleError('SOURCE_INVALID', `${url} answered ${length} bytes, over the ${MAX_JSON_BYTES}-byte limit for API answers`);
  }
  return res.text();
}

