/**
 * The pure half of a modelcar: the image config, manifest and index that put one model layer on top of a base
 * image, and the provenance they carry. KServe's modelcar contract is a container image with the model files
 * under `/models` and a shell to keep the sidecar alive (kserve docs/samples/storage/oci; peers §0.7).
 * Reference: https://github.com/opencontainers/image-spec/blob/v1.1.1/manifest.md, config.md, annotations.md.
 */
import { MT_OCI_CONFIG, MT_OCI_INDEX, MT_OCI_MANIFEST } from '../bundle/layout.js';
import type { Descriptor, Platform } from '../content/descriptor.js';
import { descriptorFor } from '../content/descriptor.js';
import type { Digest } from '../content/digest.js';
import { canonicalJsonCompact } from '../util/canonical-json.js';
import { MODELCAR_MODEL_DIR, MT_MODELCAR_LAYER } from './modelcar-layer.js';

/** MODELCAR_BUILDER names the layout of what we build; a change to the bytes we produce changes it. */
export const MODELCAR_BUILDER = 'airbundle-modelcar/v1';
/** Media type of the provenance document. */
export const MT_MODELCAR_PROVENANCE = 'application/vnd.airbundle.modelcar.provenance.v1+json';

export const ANNOTATION_MODELCAR_MODEL = 'dev.airbundle.modelcar.model';
export const ANNOTATION_MODELCAR_MODEL_DIGEST = 'dev.airbundle.modelcar.model.digest';
export const ANNOTATION_MODELCAR_SOURCE = 'dev.airbundle.modelcar.source';
export const ANNOTATION_MODELCAR_PROVENANCE = 'dev.airbundle.modelcar.provenance';
/** ANNOTATION_MODELCAR_KEY is the sha256 of everything the bytes depend on: equal keys, equal images. */
export const ANNOTATION_MODELCAR_KEY = 'dev.airbundle.modelcar.key';

/** ModelcarProvenance is where the model came from and what was put on what, as recorded in the image. */
export interface ModelcarProvenance {
  mediaType: typeof MT_MODELCAR_PROVENANCE;
  builder: string;
  model: {
    name: string;
    ref: string;
    /** Digest of the ModelPack manifest the files come from. */
    digest: string;
    /** The source as written in bundle.yaml (`hf://Qwen/Qwen2.5-0.5B-Instruct`). */
    source: string;
    provenance: { type: string; uri: string; revision?: string; resolvedAt?: string; details?: Record<string, string> };
  };
  base: { ref: string; digest: string };
  /** Every file of the layer under `/models`, with its digest and size. */
  files: Array<{ path: string; digest: string; size: number }>;
}

/**
 * modelcarAnnotations are the annotations of the modelcar manifest (and index): the OCI pre-defined keys
 * (source, revision, created, title, base image) and ours (model, its digest, the spec source, the provenance
 * document without its file list, the key).
 */
export function modelcarAnnotations(p: ModelcarProvenance, key: string): Record<string, string> {
  const { files: _files, ...summary } = p;
  const out: Record<string, string> = {
    'org.opencontainers.image.title': p.model.name,
    'org.opencontainers.image.created': createdOf(p),
    'org.opencontainers.image.source': p.model.provenance.uri,
    'org.opencontainers.image.base.name': p.base.ref,
    'org.opencontainers.image.base.digest': p.base.digest,
    [ANNOTATION_MODELCAR_MODEL]: p.model.ref,
    [ANNOTATION_MODELCAR_MODEL_DIGEST]: p.model.digest,
    [ANNOTATION_MODELCAR_SOURCE]: p.model.source,
    [ANNOTATION_MODELCAR_PROVENANCE]: canonicalJsonCompact(summary),
    [ANNOTATION_MODELCAR_KEY]: key,
  };
  if (p.model.provenance.revision !== undefined) out['org.opencontainers.image.revision'] = p.model.provenance.revision;
  return out;
}

/** createdOf is the image time: when the model was resolved (a commit date, a file time), never "now". */
export function createdOf(p: ModelcarProvenance): string {
  return p.model.provenance.resolvedAt ?? '2000-01-01T00:00:00Z';
}

/** PlatformImage is one platform of the base image: its manifest and config, parsed. */
export interface PlatformImage {
  manifest: Descriptor;
  manifestDoc: Record<string, unknown>;
  configDoc: Record<string, unknown>;
  platform?: Platform;
}

/** Docker v2 layer media types and their OCI equivalents (same bytes, same digest). */
const OCI_LAYER_TYPES: Record<string, string> = {
  'application/vnd.docker.image.rootfs.diff.tar.gzip': 'application/vnd.oci.image.layer.v1.tar+gzip',
  'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip': 'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip',
};

/**
 * modelcarImage builds the config and manifest of one platform: the base layers (media types in their OCI
 * form), then the model layer; the base config with the layer's diff_id appended to rootfs and, when the base
 * keeps a history, one history entry for it. Returns the JSON bytes and their descriptors. Pure.
 */
export function modelcarImage(base: PlatformImage, layer: Descriptor, annotations: Record<string, string>, created: string): { config: Buffer; configDesc: Descriptor; manifest: Buffer; manifestDesc: Descriptor } {
  const rootfs = (base.configDoc.rootfs ?? {}) as { diff_ids?: unknown };
  const diffIds = Array.isArray(rootfs.diff_ids) ? (rootfs.diff_ids as string[]) : [];
  const history = Array.isArray(base.configDoc.history) ? (base.configDoc.history as unknown[]) : undefined;
  const configDoc: Record<string, unknown> = {
    ...base.configDoc,
    created,
    rootfs: { type: 'layers', diff_ids: [...diffIds, layer.digest] },
    ...(history !== undefined ? { history: [...history, { created, created_by: `${MODELCAR_BUILDER}: model files under /${MODELCAR_MODEL_DIR}` }] } : {}),
  };
  const config = Buffer.from(canonicalJsonCompact(configDoc));
  const configDesc = descriptorFor(MT_OCI_CONFIG, config);
  const baseLayers = Array.isArray(base.manifestDoc.layers) ? (base.manifestDoc.layers as Descriptor[]) : [];
  const manifestDoc = {
    schemaVersion: 2,
    mediaType: MT_OCI_MANIFEST,
    config: configDesc,
    layers: [
      ...baseLayers.map((l) => ({ ...l, mediaType: OCI_LAYER_TYPES[l.mediaType] ?? l.mediaType })),
      { mediaType: MT_MODELCAR_LAYER, digest: layer.digest, size: layer.size, annotations: { 'org.opencontainers.image.title': MODELCAR_MODEL_DIR } },
    ],
    annotations: { ...annotations, 'org.opencontainers.image.base.digest': base.manifest.digest },
  };
  const manifest = Buffer.from(canonicalJsonCompact(manifestDoc));
  return { config, configDesc, manifest, manifestDesc: descriptorFor(MT_OCI_MANIFEST, manifest) };
}

/** modelcarIndex lists one modelcar manifest per platform of a multi-platform base. Pure. */
export function modelcarIndex(manifests: Array<{ desc: Descriptor; platform: Platform }>, annotations: Record<string, string>): { bytes: Buffer; desc: Descriptor } {
  const bytes = Buffer.from(
    canonicalJsonCompact({
      schemaVersion: 2,
      mediaType: MT_OCI_INDEX,
      manifests: manifests.map((m) => ({ mediaType: m.desc.mediaType, digest: m.desc.digest, size: m.desc.size, platform: m.platform })),
      annotations,
    }),
  );
  return { bytes, desc: descriptorFor(MT_OCI_INDEX, bytes) };
}

/** layerDescriptor is the model layer's descriptor once the first pass has measured it. */
export function layerDescriptor(digest: Digest, size: number): Descriptor {
  return { mediaType: MT_MODELCAR_LAYER, digest, size };
}
