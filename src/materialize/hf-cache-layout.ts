import type { Artifact } from '../bundle/manifest.js';
import { parseDigest, sha256Digest } from '../content/digest.js';
import { AirbundleError } from '../errors.js';
import type { PlannedFile } from './materialize-plan.js';
import type { ModelFileLayer } from './model-files.js';

/** HfRepo is the Hugging Face repository and commit a model is cached under. */
export interface HfRepo {
  /** `org/name` (or a bare legacy `name`). */
  repoId: string;
  /** 40-hex commit: the snapshot directory name and the content of `refs/main`. */
  commit: string;
  /** Set when provenance did not give a usable repo and commit, with the reason. */
  derivedBecause?: string;
}

const COMMIT_RE = /^[0-9a-f]{40}$/;

/**
 * hfRepoFor picks the repository and commit: from provenance when the artifact came from the Hub
 * (`provenance.type === 'hf'`, `details.repo` = `org/name`, `revision` = the commit), else
 * `airbundle/<artifact name>` at a commit derived from the manifest digest (its first 40 hex), which is stable
 * for the same content and changes when the content does.
 */
export function hfRepoFor(artifact: Pick<Artifact, 'name' | 'root' | 'provenance'>): HfRepo {
  const derived = (why: string): HfRepo => ({
    repoId: `airbundle/${repoNamePart(artifact.name)}`,
    commit: parseDigest(artifact.root.digest).slice('sha256:'.length, 'sha256:'.length + 40),
    derivedBecause: why,
  });
  if (artifact.provenance.type !== 'hf') return derived(`it came from a ${artifact.provenance.type} source`);
  const repoId = artifact.provenance.details?.repo;
  const commit = artifact.provenance.revision;
  if (repoId === undefined || !isValidRepoId(repoId)) {
    throw new AirbundleError('BUNDLE_CORRUPT', `artifact ${artifact.name}: provenance names Hugging Face repo ${JSON.stringify(repoId)}, which is not a valid repo id`, {
      hint: 'rebuild the bundle; a repo id is org/name of letters, digits, "-", "_" and "."',
    });
  }
  if (commit === undefined || !COMMIT_RE.test(commit)) {
    throw new AirbundleError('BUNDLE_CORRUPT', `artifact ${artifact.name}: provenance revision ${JSON.stringify(commit)} is not a 40-hex commit`, {
      hint: 'rebuild the bundle: the hf source records the resolved commit',
    });
  }
  return { repoId, commit };
}

/**
 * hfCacheLayout lays the files out as a Hugging Face hub cache (huggingface_hub file_download.py):
 * `models--{org}--{name}/refs/main` holding the commit (no trailing newline, as `write_text` leaves it) and
 * `models--{org}--{name}/snapshots/{commit}/{path}` as real files, not symlinks into `blobs/`: a `pvc://…/sub`
 * mount in KServe is a subPath, and relative symlinks out of it break. `blobs/` is then not needed, and
 * `trees/{commit}.json` is not written: it records git blob ids, which depend on how the upstream repo tracks
 * each file (LFS or not) and are not in the bundle; a wrong tree file would mislead newer clients.
 * Reference: https://github.com/huggingface/huggingface_hub/blob/v1.28.0/src/huggingface_hub/file_download.py
 */
export function hfCacheLayout(repo: HfRepo, files: ModelFileLayer[]): { files: PlannedFile[]; modelPath: string; modelName: string } {
  const folder = `models--${repo.repoId.split('/').join('--')}`;
  const snapshot = `${folder}/snapshots/${repo.commit}`;
  const ref = Buffer.from(repo.commit);
  return {
    modelPath: snapshot,
    modelName: repo.repoId,
    files: [
      { path: `${folder}/refs/main`, digest: sha256Digest(ref), size: ref.length, source: { kind: 'inline', bytes: ref } },
      ...files.map((f): PlannedFile => ({ path: `${snapshot}/${f.path}`, digest: parseDigest(f.desc.digest), size: f.desc.size, source: { kind: 'blob', desc: f.desc } })),
    ],
  };
}

/**
 * isValidRepoId follows huggingface_hub validate_repo_id: `[org/]name` of `[A-Za-z0-9_.-]`, at most 96
 * characters a part, no `--` or `..`, not starting or ending with `-` or `.`.
 */
export function isValidRepoId(repoId: string): boolean {
  const parts = repoId.split('/');
  if (parts.length > 2) return false;
  return parts.every((p) => /^[A-Za-z0-9_](?:[A-Za-z0-9_.-]{0,94}[A-Za-z0-9_])?$/.test(p) && !p.includes('--') && !p.includes('..'));
}

/** repoNamePart turns an artifact name into a valid repo name part. */
function repoNamePart(name: string): string {
  const cleaned = name
    .replace(/[^A-Za-z0-9_.-]+/g, '-')
    .replace(/-{2,}/g, '-')
    .replace(/\.{2,}/g, '.')
    .replace(/^[-.]+|[-.]+$/g, '')
    .slice(0, 96)
    .replace(/[-.]+$/g, '');
  return cleaned === '' ? 'model' : cleaned;
}
