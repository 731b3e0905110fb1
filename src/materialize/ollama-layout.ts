import type { Artifact } from '../bundle/manifest.js';
import { MT_DOCKER_MANIFEST, MT_OCI_MANIFEST } from '../bundle/layout.js';
import type { Descriptor } from '../content/descriptor.js';
import { digestHex, parseDigest } from '../content/digest.js';
import { isDescriptor } from '../content/graph.js';
import { AirbundleError } from '../errors.js';
import type { PlannedFile } from './materialize-plan.js';
import { safeSegment } from './safe-path.js';

/** OllamaName is where Ollama looks a model up: `manifests/{host}/{namespace}/{model}/{tag}`. */
export interface OllamaName {
  host: string;
  namespace: string;
  model: string;
  tag: string;
}

/**
 * ollamaNameFor reads the Ollama name from provenance (`type: 'ollama'`, `details = {host, namespace, model,
 * tag}`, written by the ollama source). Anything else is a USAGE error: only a model pulled from an Ollama
 * registry has an Ollama manifest to lay out.
 */
export function ollamaNameFor(artifact: Pick<Artifact, 'name' | 'provenance'>): OllamaName {
  const p = artifact.provenance;
  if (p.type !== 'ollama') {
    throw new AirbundleError('USAGE', `artifact ${artifact.name} came from a ${p.type} source, not from Ollama, so it has no Ollama manifest to lay out`, {
      hint: 'use --layout plain or --layout hf-cache for it; --layout ollama takes models built from an ollama:// source',
    });
  }
  const d = p.details ?? {};
  const part = (key: 'host' | 'namespace' | 'model' | 'tag'): string => {
    const value = d[key];
    if (value === undefined || value === '') throw new AirbundleError('BUNDLE_CORRUPT', `artifact ${artifact.name}: Ollama provenance has no ${key}`, { hint: 'rebuild the bundle' });
    return safeSegment(value, `Ollama ${key}`);
  };
  return { host: part('host'), namespace: part('namespace'), model: part('model'), tag: part('tag') };
}

/**
 * ollamaLayout lays a model out as an Ollama model store (`$OLLAMA_MODELS`, ollama manifest/paths.go):
 * `manifests/{host}/{namespace}/{model}/{tag}` holding the manifest bytes exactly as served (Ollama takes the
 * digest of that file), and `blobs/sha256-{hex}` for the config and every layer (":" is "-" on disk).
 * Reference: https://github.com/ollama/ollama/blob/main/manifest/paths.go
 */
export function ollamaLayout(name: OllamaName, manifestDesc: Descriptor, manifestBytes: Buffer, what: string): { files: PlannedFile[]; modelPath: string; modelName: string } {
  let doc: unknown;
  try {
    doc = JSON.parse(manifestBytes.toString('utf8'));
  } catch (err) {
    throw new AirbundleError('BUNDLE_CORRUPT', `${what}: the Ollama manifest is not valid JSON`, { cause: err });
  }
  const record = doc !== null && typeof doc === 'object' ? (doc as Record<string, unknown>) : {};
  const mediaType = record.mediaType ?? manifestDesc.mediaType;
  if (mediaType !== MT_DOCKER_MANIFEST && mediaType !== MT_OCI_MANIFEST) {
    throw new AirbundleError('USAGE', `${what} is a ${String(mediaType)}, not an image manifest Ollama can read`);
  }
  const blobs: Descriptor[] = [];
  if (isDescriptor(record.config)) blobs.push(record.config);
  for (const layer of Array.isArray(record.layers) ? record.layers : []) {
    if (!isDescriptor(layer)) throw new AirbundleError('BUNDLE_CORRUPT', `${what}: a layer of the Ollama manifest is not a valid descriptor`);
    blobs.push(layer);
  }
  const manifestDigest = parseDigest(manifestDesc.digest);
  return {
    modelPath: '',
    modelName: `${name.host}/${name.namespace}/${name.model}:${name.tag}`,
    files: [
      { path: `manifests/${name.host}/${name.namespace}/${name.model}/${name.tag}`, digest: manifestDigest, size: manifestBytes.length, source: { kind: 'inline', bytes: manifestBytes } },
      ...blobs.map((b): PlannedFile => ({ path: `blobs/sha256-${digestHex(parseDigest(b.digest))}`, digest: parseDigest(b.digest), size: b.size, source: { kind: 'blob', desc: b } })),
    ],
  };
}
