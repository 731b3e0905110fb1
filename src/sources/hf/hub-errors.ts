/**
 * What a refusal from the Hugging Face Hub means for the user. The Hub says more than the status: `X-Error-Code`
 * (`RepoNotFound`, `RevisionNotFound`, `EntryNotFound`, `GatedRepo`) and `X-Error-Message`. Without a token it
 * answers 401 RepoNotFound for a private repository and for one that does not exist alike, so that case is "not
 * found" with a hint about HF_TOKEN.
 * Reference: huggingface_hub `utils/_http.py` `hf_raise_for_status` (v1.x).
 */
import { AirbundleError } from '../../errors.js';
import { retryableStatus, transientDetails } from '../../oci/retry.js';

/** HubTarget is what was asked of the Hub, for messages. */
export interface HubTarget {
  /** The model's name in the spec. */
  model: string;
  endpoint: string;
  repo: string;
  revision?: string;
  /** The file, for downloads. */
  path?: string;
  tokenSent: boolean;
}

/** HubRefusal is the Hub's answer: status, its error headers, and the URL asked. */
export interface HubRefusal {
  status: number;
  url: string;
  errorCode?: string | undefined;
  errorMessage?: string | undefined;
  retryAfterMs?: number | undefined;
}

/** refusalOf reads the error headers of a Hub response. */
export function refusalOf(res: Response, url: string): HubRefusal {
  const seconds = Number(res.headers.get('retry-after') ?? Number.NaN);
  return {
    status: res.status,
    url,
    errorCode: res.headers.get('x-error-code') ?? undefined,
    errorMessage: res.headers.get('x-error-message') ?? undefined,
    retryAfterMs: Number.isFinite(seconds) && seconds >= 0 ? Math.min(seconds, 60) * 1000 : undefined,
  };
}

/**
 * hubError turns a refusal into SOURCE_AUTH (gated or forbidden), SOURCE_NOT_FOUND (repo, revision or file) or
 * SOURCE_HTTP_STATUS (anything else; marked transient for 5xx, 408 and 429).
 */
export function hubError(target: HubTarget, refusal: HubRefusal): AirbundleError {
  const page = `${target.endpoint}/${target.repo}`;
  const said = refusal.errorMessage !== undefined ? `: ${refusal.errorMessage}` : '';
  const details = { repo: target.repo, status: refusal.status, url: refusal.url, ...(target.revision !== undefined ? { revision: target.revision } : {}), ...(target.path !== undefined ? { file: target.path } : {}), ...(refusal.errorCode !== undefined ? { hubError: refusal.errorCode } : {}) };
  const label = `model "${target.model}"`;
  const { status, errorCode } = refusal;

  if (errorCode === 'RepoNotFound' && (status === 401 || status === 404)) {
    return new AirbundleError('SOURCE_NOT_FOUND', `${label}: repository ${target.repo} was not found on ${target.endpoint} (HTTP ${status})`, {
      hint: target.tokenSent
        ? `check the name; if ${target.repo} is private, HF_TOKEN must belong to an account with read access to it`
        : `check the name; if ${target.repo} is private, set HF_TOKEN to a Hugging Face token with read access to it`,
      details,
    });
  }
  if (status === 401 || status === 403) {
    const gated = errorCode === 'GatedRepo' ? ', a gated repository' : '';
    const what = target.path !== undefined ? `${target.path} of ${target.repo}` : target.repo;
    return new AirbundleError('SOURCE_AUTH', `${label}: the Hub refused access to ${what}${gated} (HTTP ${status})${said}`, {
      hint: target.tokenSent
        ? `the token in HF_TOKEN has no access: accept the model's terms on ${page} with the account it belongs to (gated repos), and use a token with read access`
        : `set HF_TOKEN to a Hugging Face token with read access (https://huggingface.co/settings/tokens); for a gated repo, first accept the model's terms on ${page}`,
      details,
    });
  }
  if (status === 404 || status === 410) {
    if (target.path !== undefined) {
      return new AirbundleError('SOURCE_NOT_FOUND', `${label}: file ${target.path} of ${target.repo} at ${target.revision ?? 'the resolved commit'} was not found (HTTP ${status})`, {
        hint: 'the Hub listed the file but would not serve it; run the build again, or exclude the file',
        details,
      });
    }
    const which = errorCode === 'RevisionNotFound' ? `revision "${target.revision ?? ''}" of ${target.repo}` : `repository ${target.repo}${target.revision !== undefined ? ` or its revision "${target.revision}"` : ''}`;
    return new AirbundleError('SOURCE_NOT_FOUND', `${label}: ${which} was not found on ${target.endpoint} (HTTP ${status})${said}`, {
      hint: `check the repository name and the revision after @ (a branch, tag or 40-hex commit of ${page})`,
      details,
    });
  }
  return new AirbundleError('SOURCE_HTTP_STATUS', `${label}: ${refusal.url} returned HTTP ${status}${said}`, {
    ...(status >= 500 ? { hint: 'the Hub failed; try again later' } : {}),
    details: { ...details, ...(retryableStatus(status) ? transientDetails(refusal.retryAfterMs) : {}) },
  });
}
