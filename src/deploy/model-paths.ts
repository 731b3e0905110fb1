import type { Artifact } from '../bundle/manifest.js';
import { hfRepoFor } from '../materialize/hf-cache-layout.js';

/** hfSnapshotDir is where the hf-cache layout puts a model's files under a cache root (`HF_HUB_CACHE`). */
export function hfSnapshotDir(cacheRoot: string, a: Pick<Artifact, 'name' | 'root' | 'provenance'>): string {
  const { repoId, commit } = hfRepoFor(a);
  return `${cacheRoot}/models--${repoId.replace(/\//g, '--')}/snapshots/${commit}`;
}
