import { ANNOTATION_MODEL_FILEPATH, MT_OCI_MANIFEST } from '../bundle/layout.js';
import type { Descriptor } from '../content/descriptor.js';
import { isDescriptor } from '../content/graph.js';
import { AirbundleError } from '../errors.js';
import { safeRelativePath } from './safe-path.js';

/** The pre-CNCF name of the filepath annotation (model-spec before PR #81), still written by older modctl. */
const LEGACY_ANNOTATION_FILEPATH = 'org.cnai.model.filepath';

/** ModelFileLayer is one file of a model artifact: its path in the model tree and the blob that holds it. */
export interface ModelFileLayer {
  path: string;
  desc: Descriptor;
}

/**
 * modelFileLayers lists the files of a ModelPack artifact from its manifest: one raw layer per file, the path
 * in `org.cncf.model.filepath` (or the legacy `org.cnai.model.filepath`), checked by safeRelativePath.
 * Tar layers (a directory packed into one layer) are refused: they would need extracting, not copying.
 * Reference: https://github.com/modelpack/model-spec/blob/main/docs/annotations.md
 */
export function modelFileLayers(manifest: unknown, what: string): ModelFileLayer[] {
  const doc = manifest !== null && typeof manifest === 'object' ? (manifest as Record<string, unknown>) : {};
  if (doc.mediaType !== undefined && doc.mediaType !== MT_OCI_MANIFEST) {
    throw new AirbundleError('USAGE', `${what} is a ${String(doc.mediaType)}, not a ModelPack manifest`, {
      hint: 'the plain and hf-cache layouts need a ModelPack model artifact (one raw layer per file); an Ollama model takes --layout ollama',
    });
  }
  const layers = Array.isArray(doc.layers) ? doc.layers : [];
  if (layers.length === 0) throw new AirbundleError('USAGE', `${what} has no layers to write as files`);
  return layers.map((layer, i) => {
    if (!isDescriptor(layer)) throw new AirbundleError('BUNDLE_CORRUPT', `${what}: layer ${i} is not a valid descriptor`);
    const path = layer.annotations?.[ANNOTATION_MODEL_FILEPATH] ?? layer.annotations?.[LEGACY_ANNOTATION_FILEPATH];
    if (path === undefined) {
      throw new AirbundleError('USAGE', `${what}: layer ${layer.digest} (${layer.mediaType}) has no ${ANNOTATION_MODEL_FILEPATH} annotation, so it has no file name`, {
        hint: 'only ModelPack artifacts can be laid out as files; an Ollama model takes --layout ollama',
      });
    }
    if (/\.tar($|\+)/.test(layer.mediaType)) {
      throw new AirbundleError('USAGE', `${what}: layer ${path} is a tar layer (${layer.mediaType}); only raw layers (one file per layer) can be laid out`, {
        hint: 'rebuild the model with raw layers (modctl build --raw, or bundle build)',
      });
    }
    return { path: safeRelativePath(path, `${what}: layer file path`), desc: layer };
  });
}
