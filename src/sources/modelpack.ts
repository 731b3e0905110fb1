import { posix } from 'node:path';
import {
  ANNOTATION_MODEL_FILE_METADATA,
  ANNOTATION_MODEL_FILEPATH,
  ANNOTATION_MODEL_MEDIATYPE_UNTESTED,
  ANNOTATION_TITLE,
  MT_MODEL_ARTIFACT,
  MT_MODEL_CODE_RAW,
  MT_MODEL_CONFIG,
  MT_MODEL_DOC_RAW,
  MT_MODEL_WEIGHT_CONFIG_RAW,
  MT_MODEL_WEIGHT_RAW,
  MT_OCI_MANIFEST,
} from '../bundle/layout.js';
import type { Descriptor } from '../content/descriptor.js';
import type { Digest } from '../content/digest.js';
import { MemoryStore, UnionStorage } from '../content/memory-store.js';
import type { ReadOnlyStorage } from '../content/storage.js';
import type { Provenance, ResolvedArtifact } from './source.js';
import { canonicalJsonCompact } from '../util/canonical-json.js';

/** ModelFile is one file of a model tree, already hashed. */
export interface ModelFile {
  /** Path inside the model tree, `/`-separated, no leading `./`. */
  path: string;
  digest: Digest;
  size: number;
  executable?: boolean;
}

/** ModelPackInput describes a model to pack as a CNCF ModelPack artifact. */
export interface ModelPackInput {
  name: string;
  version?: string;
  revision?: string;
  sourceUrl?: string;
  format?: string;
  files: ModelFile[];
}

const WEIGHT_EXT = new Set(['.safetensors', '.bin', '.gguf', '.pt', '.pth', '.onnx', '.h5', '.ckpt', '.msgpack', '.npz', '.tflite', '.mlmodel', '.pb']);
const WEIGHT_CONFIG_NAMES = /^(config|generation_config|tokenizer|tokenizer_config|special_tokens_map|preprocessor_config|added_tokens|vocab|merges|params)\b|\.(model|tiktoken|vocab)$|safetensors\.index\.json$|bin\.index\.json$/;
const DOC_NAMES = /^(readme|license|licence|notice|copying|model_card|usage)\b|\.(md|txt|rst|pdf)$/i;
const CODE_EXT = new Set(['.py', '.sh', '.js', '.ts', '.ipynb']);

/**
 * mediaTypeForModelFile classifies a file into a ModelPack raw layer type by name. The guess is recorded as
 * `org.cncf.model.file.mediatype.untested: "true"` when no rule matched (model-spec annotations.md).
 */
export function mediaTypeForModelFile(path: string): { mediaType: string; untested: boolean } {
  const base = posix.basename(path);
  const ext = posix.extname(base).toLowerCase();
  if (WEIGHT_EXT.has(ext)) return { mediaType: MT_MODEL_WEIGHT_RAW, untested: false };
  if (WEIGHT_CONFIG_NAMES.test(base)) return { mediaType: MT_MODEL_WEIGHT_CONFIG_RAW, untested: false };
  if (DOC_NAMES.test(base)) return { mediaType: MT_MODEL_DOC_RAW, untested: false };
  if (CODE_EXT.has(ext)) return { mediaType: MT_MODEL_CODE_RAW, untested: false };
  if (ext === '.json' || ext === '.yaml' || ext === '.yml') return { mediaType: MT_MODEL_WEIGHT_CONFIG_RAW, untested: true };
  return { mediaType: MT_MODEL_WEIGHT_RAW, untested: true };
}

/**
 * packModelPack builds the ModelPack manifest and config for a set of files (one raw layer per file, path in
 * `org.cncf.model.filepath`), stores both in `store`, and returns the manifest descriptor. Pure apart from the
 * store; deterministic: layers sorted by path, no timestamps except the fixed file metadata.
 * Reference: https://github.com/modelpack/model-spec/blob/main/docs/spec.md
 */
export function packModelPack(input: ModelPackInput, store: MemoryStore): Descriptor {
  const files = [...input.files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const layers: Descriptor[] = files.map((f) => {
    const { mediaType, untested } = mediaTypeForModelFile(f.path);
    const annotations: Record<string, string> = {
      [ANNOTATION_MODEL_FILEPATH]: f.path,
      [ANNOTATION_MODEL_FILE_METADATA]: canonicalJsonCompact({
        name: f.path,
        mode: f.executable === true ? 0o755 : 0o644,
        uid: 0,
        gid: 0,
        size: f.size,
        mtime: '2000-01-01T00:00:00Z',
        typeflag: 48,
      }),
      [ANNOTATION_MODEL_MEDIATYPE_UNTESTED]: String(untested),
      [ANNOTATION_TITLE]: posix.basename(f.path),
    };
    return { mediaType, digest: f.digest, size: f.size, annotations };
  });
  const descriptor: Record<string, unknown> = { name: input.name };
  if (input.version !== undefined) descriptor.version = input.version;
  if (input.revision !== undefined) descriptor.revision = input.revision;
  if (input.sourceUrl !== undefined) descriptor.sourceURL = input.sourceUrl;
  const config = {
    descriptor,
    config: input.format === undefined ? {} : { format: input.format },
    modelfs: { type: 'layers', diffIds: layers.map((l) => l.digest) },
  };
  const configDesc = store.add(MT_MODEL_CONFIG, canonicalJsonCompact(config));
  const manifest = {
    schemaVersion: 2,
    mediaType: MT_OCI_MANIFEST,
    artifactType: MT_MODEL_ARTIFACT,
    config: configDesc,
    layers,
    annotations: { 'org.opencontainers.image.title': input.name },
  };
  const manifestDesc = store.add(MT_OCI_MANIFEST, canonicalJsonCompact(manifest));
  return { ...manifestDesc, artifactType: MT_MODEL_ARTIFACT };
}

/** PackedModelInput is what a model source found: the files, where their bytes are, and where they came from. */
export interface PackedModelInput {
  entry: { name: string; source: string; tag?: string; format?: string };
  defaultTag: string;
  files: ModelFile[];
  /** Serves the files' blobs. */
  storage: ReadOnlyStorage;
  chunks: Map<Digest, Digest[]>;
  provenance: Provenance;
  revision?: string;
  sourceUrl?: string;
}

/**
 * packedModel packs a model source's files as a ModelPack artifact `models/<name>:<tag>` (the tag defaults to the
 * bundle version): the one shape every model source (file, http, hf) resolves to.
 */
export function packedModel(input: PackedModelInput): ResolvedArtifact {
  const tag = input.entry.tag ?? input.defaultTag;
  const memory = new MemoryStore();
  const root = packModelPack(
    {
      name: input.entry.name,
      version: tag,
      ...(input.revision !== undefined ? { revision: input.revision } : {}),
      ...(input.sourceUrl !== undefined ? { sourceUrl: input.sourceUrl } : {}),
      format: input.entry.format,
      files: input.files,
    },
    memory,
  );
  return {
    kind: 'model',
    name: input.entry.name,
    ref: `models/${input.entry.name}:${tag}`,
    source: input.entry.source,
    root,
    storage: new UnionStorage([memory, input.storage]),
    chunks: input.chunks,
    provenance: input.provenance,
  };
}
