import type { Artifact } from '../bundle/manifest.js';

/** HfIdentity is where a model sits in a Hugging Face cache: `models--org--name/snapshots/<commit>`. */
export interface HfIdentity {
  repo: string;
  commit: string;
}

/**
 * hfIdentity names a model the way the hf-cache layout stores it: its Hub repo and commit for hf:// sources,
 * else `airbundle/<name>` and a commit made of the first 40 hex digits of its manifest digest.
 */
export function hfIdentity(a: Pick<Artifact, 'name' | 'root' | 'provenance'>): HfIdentity {
  const p = a.provenance;
  if (p.type === 'hf' && p.details?.repo !== undefined && p.revision !== undefined && /^[0-9a-f]{40}$/.test(p.revision)) return { repo: p.details.repo, commit: p.revision };
  return { repo: `airbundle/${a.name}`, commit: a.root.digest.slice('sha256:'.length, 'sha256:'.length + 40) };
}

/** hfSnapshotDir is the snapshot directory of a model under an HF cache root (`HF_HUB_CACHE`). */
export function hfSnapshotDir(cacheRoot: string, id: HfIdentity): string {
  return `${cacheRoot}/models--${id.repo.replace(/\//g, '--')}/snapshots/${id.commit}`;
}

/** ollamaName is the name Ollama knows a model by, from its provenance (or `airbundle/<name>:<tag>`). */
export function ollamaName(a: Pick<Artifact, 'name' | 'ref' | 'provenance'>): string {
  const d = a.provenance.details;
  if (a.provenance.type === 'ollama' && d?.namespace !== undefined && d.model !== undefined) {
    const host = d.host === 'registry.ollama.ai' ? '' : `${d.host}/`;
    return `${host}${d.namespace === 'library' && host === '' ? '' : `${d.namespace}/`}${d.model}:${d.tag ?? 'latest'}`;
  }
  return `${a.name}:${a.ref.split(':').pop() ?? 'latest'}`;
}
