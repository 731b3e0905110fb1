import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { removeStaleTemps, writeFileAtomic } from '../util/fs-atomic.js';
import type { KubeObject } from './kube-object.js';

/** writeRendered writes one YAML file per object, numbered in apply order (`00-namespace-ai.yaml`), for GitOps. */
export async function writeRendered(dir: string, objects: KubeObject[]): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const files: string[] = [];
  for (const [i, o] of objects.entries()) {
    const file = join(dir, `${String(i).padStart(2, '0')}-${o.kind.toLowerCase()}-${o.metadata.name}.yaml`);
    // A deploy killed mid-write left a temp sibling: it must not end up in a GitOps repository.
    await removeStaleTemps(file);
    await writeFileAtomic(file, stringify(o, { lineWidth: 0 }));
    files.push(file);
  }
  return files;
}
