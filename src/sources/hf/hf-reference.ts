/**
 * `hf://org/name[@revision]`: which Hugging Face model repository, at which revision, on which Hub.
 * Repo ids follow the Hub's rules (huggingface_hub `utils/_validators.py` `validate_repo_id`): letters, digits,
 * `-`, `_`, `.`, no `--` or `..`, at most 96 characters. The revision is a branch, tag or commit; `refs/pr/N` and
 * other names with `/` are allowed, since it is URL-quoted whole when sent.
 */
import { AirbundleError } from '../../errors.js';
import { withoutUserinfo } from '../../util/redact.js';

/** DEFAULT_HF_ENDPOINT is the Hub used when `HF_ENDPOINT` is not set. */
export const DEFAULT_HF_ENDPOINT = 'https://huggingface.co';

/** DEFAULT_REVISION is the revision taken when the source names none. */
export const DEFAULT_REVISION = 'main';

/** HfReference is a parsed `hf://` source. */
export interface HfReference {
  /** `org/name`. */
  repo: string;
  /** Branch, tag or commit as written (or `main`). */
  revision: string;
}

/** HfSettings is where the Hub is and how to authenticate to it, read from the environment. */
export interface HfSettings {
  /** Base URL without a trailing slash. */
  endpoint: string;
  token: string | undefined;
}

const SEGMENT = /^[A-Za-z0-9_](?:[A-Za-z0-9._-]*[A-Za-z0-9_])?$/;

/** parseHfSource reads `hf://org/name[@revision]`; anything else is SOURCE_INVALID naming the model. */
export function parseHfSource(name: string, source: string): HfReference {
  const invalid = (why: string): AirbundleError =>
    new AirbundleError('SOURCE_INVALID', `model "${name}": source ${withoutUserinfo(source)} ${why}`, {
      hint: 'write hf://ORG/NAME or hf://ORG/NAME@REVISION (a branch, tag or 40-hex commit), e.g. hf://Qwen/Qwen2.5-0.5B-Instruct@main',
    });
  if (!source.startsWith('hf://')) throw invalid('is not an hf:// source');
  const rest = source.slice('hf://'.length);
  const at = rest.indexOf('@');
  const repo = at === -1 ? rest : rest.slice(0, at);
  const revision = at === -1 ? DEFAULT_REVISION : rest.slice(at + 1);
  const segments = repo.split('/');
  if (segments.length !== 2) throw invalid('does not name a repository as ORG/NAME');
  if (repo.length > 96 || repo.includes('--') || repo.includes('..') || !segments.every((s) => SEGMENT.test(s))) {
    throw invalid(`names "${repo}", which is not a valid repository id`);
  }
  if (revision === '' || /[\s\u0000-\u001f]/.test(revision)) throw invalid('has an empty or malformed revision after @');
  return { repo, revision };
}

/** hfSettings reads `HF_ENDPOINT` (default {@link DEFAULT_HF_ENDPOINT}) and `HF_TOKEN`. */
export function hfSettings(env: Readonly<Record<string, string | undefined>>): HfSettings {
  const raw = env.HF_ENDPOINT !== undefined && env.HF_ENDPOINT.trim() !== '' ? env.HF_ENDPOINT.trim() : DEFAULT_HF_ENDPOINT;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new AirbundleError('SOURCE_INVALID', `HF_ENDPOINT "${raw}" is not a URL`, { hint: 'set HF_ENDPOINT to the Hub or mirror base URL, e.g. https://huggingface.co' });
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new AirbundleError('SOURCE_INVALID', `HF_ENDPOINT "${raw}" is not an http(s) URL`, { hint: 'set HF_ENDPOINT to the Hub or mirror base URL, e.g. https://huggingface.co' });
  }
  const token = env.HF_TOKEN?.trim();
  return { endpoint: `${url.origin}${url.pathname}`.replace(/\/+$/, ''), token: token !== undefined && token !== '' ? token : undefined };
}
