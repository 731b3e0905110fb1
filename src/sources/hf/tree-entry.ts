/**
 * Entries of the Hub's tree listing (`GET /api/models/{repo}/tree/{rev}?recursive=true`), checked and narrowed to
 * what a download needs. An entry is `{type: "file"|"directory", path, size, oid, lfs?: {oid, size, pointerSize}}`:
 * `oid` is the git blob sha1 (of the LFS pointer for LFS files), `lfs.oid` the sha256 of the content.
 * Reference: huggingface_hub `hf_api.py` `RepoFile` (v1.x).
 */
import { AirbundleError } from '../../errors.js';

/** HubFile is one file of a repository at a commit. */
export interface HubFile {
  /** `/`-separated path inside the repository. */
  path: string;
  size: number;
  /** Git blob sha1, 40 hex: the content's for regular files, the pointer's for LFS files. */
  oid: string;
  /** For LFS (and Xet) files: the sha256 of the content, 64 hex. */
  lfsSha256?: string;
}

const SHA1_HEX = /^[a-f0-9]{40}$/;
const SHA256_HEX = /^[a-f0-9]{64}$/;

/**
 * parseTreePage reads one page of the listing: the files on it (directories skipped). A malformed entry, or a
 * path that could escape a directory, is SOURCE_INVALID naming the repository.
 */
export function parseTreePage(body: unknown, model: string, repo: string): HubFile[] {
  const invalid = (why: string): AirbundleError =>
    new AirbundleError('SOURCE_INVALID', `model "${model}": the Hub's file listing of ${repo} ${why}`, {
      hint: 'HF_ENDPOINT must point at a Hugging Face Hub (or a faithful mirror)',
      details: { repo },
    });
  if (!Array.isArray(body)) throw invalid('is not a JSON array');
  const files: HubFile[] = [];
  for (const raw of body as unknown[]) {
    if (raw === null || typeof raw !== 'object') throw invalid('has an entry that is not an object');
    const e = raw as Record<string, unknown>;
    if (e.type === 'directory') continue;
    if (e.type !== 'file') throw invalid(`has an entry of unknown type ${JSON.stringify(e.type)}`);
    const path = e.path;
    if (typeof path !== 'string' || !isSafePath(path)) throw invalid(`has a file with an unusable path ${JSON.stringify(path)}`);
    if (typeof e.size !== 'number' || !Number.isSafeInteger(e.size) || e.size < 0) throw invalid(`gives ${path} no valid size`);
    if (typeof e.oid !== 'string' || !SHA1_HEX.test(e.oid)) throw invalid(`gives ${path} no git object id`);
    const file: HubFile = { path, size: e.size, oid: e.oid };
    if (e.lfs !== undefined && e.lfs !== null) {
      const lfs = e.lfs as Record<string, unknown>;
      if (typeof lfs.oid !== 'string' || !SHA256_HEX.test(lfs.oid)) throw invalid(`gives ${path} an LFS entry without a sha256`);
      if (lfs.size !== undefined && lfs.size !== e.size) throw invalid(`gives ${path} two sizes (${e.size} and LFS ${String(lfs.size)})`);
      file.lfsSha256 = lfs.oid;
    }
    files.push(file);
  }
  return files;
}

/** isSafePath accepts relative `/`-separated paths without empty, `.` or `..` segments, backslashes or controls. */
export function isSafePath(path: string): boolean {
  if (path === '' || path.startsWith('/') || /[\\\u0000-\u001f]/.test(path)) return false;
  return path.split('/').every((s) => s !== '' && s !== '.' && s !== '..');
}
