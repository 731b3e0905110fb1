import { parseDigest } from '../content/digest.js';
import type { PlannedFile } from './materialize-plan.js';
import type { ModelFileLayer } from './model-files.js';

/** plainLayout puts each file of the model at its own path under the target directory. */
export function plainLayout(files: ModelFileLayer[]): { files: PlannedFile[]; modelPath: string } {
  return {
    modelPath: '',
    files: files.map((f) => ({ path: f.path, digest: parseDigest(f.desc.digest), size: f.desc.size, source: { kind: 'blob', desc: f.desc } })),
  };
}
