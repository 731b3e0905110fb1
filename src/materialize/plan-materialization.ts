import type { Artifact } from '../bundle/manifest.js';
import { parseDigest } from '../content/digest.js';
import { fetchBytes } from '../content/fetch-bytes.js';
import type { Fetcher } from '../content/storage.js';
import { AirbundleError } from '../errors.js';
import { noProgress, type ProgressSink } from '../progress/events.js';
import { hfCacheLayout, hfRepoFor } from './hf-cache-layout.js';
import type { MaterializeLayout, MaterializePlan, PlannedFile } from './materialize-plan.js';
import { checkFileSet, markerFiles } from './marker-files.js';
import { modelFileLayers } from './model-files.js';
import { ollamaLayout, ollamaNameFor } from './ollama-layout.js';
import { plainLayout } from './plain-layout.js';

/** PlanOptions for {@link planMaterialization}. */
export interface PlanOptions {
  onEvent?: ProgressSink;
  signal?: AbortSignal;
}

/**
 * planMaterialization works out every file of `layout` for a model artifact, reading only its root manifest
 * from `storage` (a BundleReader, or any store holding the artifact's blobs). The plan is what every
 * transport executes; nothing is written here.
 */
export async function planMaterialization(storage: Fetcher, artifact: Artifact, layout: MaterializeLayout, options: PlanOptions = {}): Promise<MaterializePlan> {
  const onEvent = options.onEvent ?? noProgress;
  const what = `artifact ${artifact.name} (${artifact.ref})`;
  if (artifact.kind === 'image') {
    throw new AirbundleError('USAGE', `${what} is a container image, not a model`, { hint: 'materialize takes a model artifact; images go to a registry with bundle push' });
  }
  const root = { ...artifact.root, digest: parseDigest(artifact.root.digest) };
  const rootBytes = await fetchBytes(storage, root, options.signal);
  let laid: { files: PlannedFile[]; modelPath: string; modelName?: string };
  switch (layout) {
    case 'plain':
      laid = plainLayout(modelFileLayers(parseJson(rootBytes, what), what));
      break;
    case 'hf-cache': {
      const repo = hfRepoFor(artifact);
      if (repo.derivedBecause !== undefined) {
        onEvent({ type: 'info', phase: 'materialize', message: `${artifact.name} is cached as ${repo.repoId} at commit ${repo.commit} (${repo.derivedBecause}; the commit is derived from the manifest digest)` });
      }
      laid = hfCacheLayout(repo, modelFileLayers(parseJson(rootBytes, what), what));
      break;
    }
    case 'ollama':
      laid = ollamaLayout(ollamaNameFor(artifact), root, rootBytes, what);
      break;
    default: {
      const never: never = layout;
      throw new AirbundleError('USAGE', `unknown layout ${String(never)}`, { hint: 'use plain, hf-cache or ollama' });
    }
  }
  const files = checkFileSet(laid.files);
  const common = {
    artifact: { name: artifact.name, ref: artifact.ref, digest: root.digest },
    layout,
    modelPath: laid.modelPath,
    modelName: laid.modelName ?? artifact.name,
    files,
  };
  return { storage, ...common, ...markerFiles(common) };
}

function parseJson(bytes: Buffer, what: string): unknown {
  try {
    return JSON.parse(bytes.toString('utf8')) as unknown;
  } catch (err) {
    throw new AirbundleError('BUNDLE_CORRUPT', `${what}: the root manifest is not valid JSON`, { cause: err });
  }
}
