import type { Artifact } from '../bundle/manifest.js';
import { AirbundleError } from '../errors.js';
import { parseReference } from '../oci/reference.js';
import { targetFor } from '../targets/name-mapping.js';
import { parseRegistryTarget } from '../targets/registry/registry-target.js';

/**
 * ImageMap turns any name an image is known by (spec name, bundle ref, source reference, short Docker name)
 * into its in-cluster reference by digest: `REGISTRY/PREFIX/repo@sha256:…`. Pure.
 */
export class ImageMap {
  readonly #byName = new Map<string, string>();
  readonly #artifacts: Artifact[];

  constructor(artifacts: Artifact[], registry: string) {
    const { host, prefix } = parseRegistryTarget(registry);
    this.#artifacts = artifacts;
    for (const a of artifacts) {
      const { repository } = targetFor(a.ref, prefix);
      const inCluster = `${host}/${repository}@${a.root.digest}`;
      for (const key of namesOf(a)) if (!this.#byName.has(key)) this.#byName.set(key, inCluster);
    }
  }

  /** lookup returns the in-cluster reference, or undefined when the bundle has no such image. */
  lookup(name: string): string | undefined {
    return this.#byName.get(name) ?? this.#byName.get(normalize(name) ?? '');
  }

  /** artifact returns the artifact known by `name` (any of the names lookup accepts), or undefined. */
  artifact(name: string): Artifact | undefined {
    return findArtifact(this.#artifacts, name);
  }

  /** resolve is lookup that fails with the names it knows, for messages. */
  resolve(name: string, where: string): string {
    const found = this.lookup(name);
    if (found !== undefined) return found;
    const known = this.#artifacts.filter((a) => a.kind === 'image').map((a) => a.name);
    throw new AirbundleError('IMAGE_NOT_IN_BUNDLE', `${where} uses image ${name}, which is not in this bundle`, {
      hint: `add it under images: in bundle.yaml and rebuild (images in the bundle: ${known.join(', ') || 'none'})`,
    });
  }
}

/** findArtifact finds an artifact by any name it is known by (spec name, ref, source, short Docker name). Pure. */
export function findArtifact(artifacts: Artifact[], name: string): Artifact | undefined {
  const norm = normalize(name);
  return artifacts.find((a) => namesOf(a).includes(name)) ?? (norm === undefined ? undefined : artifacts.find((a) => namesOf(a).includes(norm)));
}

function namesOf(a: Artifact): string[] {
  const names = [a.name, a.ref, a.source];
  for (const n of [a.ref, a.source, a.name]) {
    const norm = normalize(n);
    if (norm !== undefined) names.push(norm);
  }
  return names;
}

/** normalize gives the full Docker form of a reference (`nginx:1` → `docker.io/library/nginx:1`), or undefined. */
function normalize(name: string): string | undefined {
  try {
    const r = parseReference(name.replace(/^oci:\/\//, ''));
    return `${r.registry}/${r.repository}${r.tag !== undefined ? `:${r.tag}` : ''}`;
  } catch {
    return undefined;
  }
}
