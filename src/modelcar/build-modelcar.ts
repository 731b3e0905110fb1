import type { Readable } from 'node:stream';
import type { TarEntrySource } from '../archive/tar-writer.js';
import { isIndexMediaType, isManifestMediaType } from '../bundle/layout.js';
import type { Artifact } from '../bundle/manifest.js';
import type { Descriptor, Platform } from '../content/descriptor.js';
import { parseDigest, sha256Digest } from '../content/digest.js';
import { fetchJson } from '../content/fetch-bytes.js';
import { isDescriptor } from '../content/graph.js';
import { MemoryStore } from '../content/memory-store.js';
import type { FetchOptions, ReadOnlyStorage } from '../content/storage.js';
import { verifyStream } from '../content/verify-stream.js';
import { AirbundleError } from '../errors.js';
import { modelFileLayers } from '../materialize/model-files.js';
import { noProgress, type ProgressSink } from '../progress/events.js';
import { canonicalJson } from '../util/canonical-json.js';
import {
  createdOf,
  layerDescriptor,
  MODELCAR_BUILDER,
  modelcarAnnotations,
  modelcarImage,
  modelcarIndex,
  MT_MODELCAR_PROVENANCE,
  type ModelcarProvenance,
  type PlatformImage,
} from './modelcar-image.js';
import { MODELCAR_MODEL_DIR, measureLayer, modelcarLayerEntries, openLayer } from './modelcar-layer.js';

/** PreparedModelcar is everything known about a modelcar before its model layer is hashed: cheap to make. */
export interface PreparedModelcar {
  model: Artifact;
  base: Artifact;
  /** Repository under the registry prefix: `modelcars/<model>`. */
  repository: string;
  /** The model's tag (from its ref `models/<name>:<tag>`). */
  tag: string;
  /** sha256 of the provenance document, which pins every input: equal keys build equal images. */
  key: string;
  annotations: Record<string, string>;
  provenance: ModelcarProvenance;
  /** Bytes of `airbundle/modelcar-provenance.json` in the layer. */
  provenanceBytes: Buffer;
  /** Total bytes of the model files. */
  modelBytes: number;
  /** The base image per platform (one entry for a single-platform base). */
  platforms: PlatformImage[];
  /** Whether the base is an index (the modelcar is then an index too). */
  multiPlatform: boolean;
  entries: TarEntrySource[];
  /** Serves the model and base blobs (the bundle). */
  storage: ReadOnlyStorage;
}

/** BuiltModelcar is a modelcar with every digest known, ready to push. */
export interface BuiltModelcar {
  prepared: PreparedModelcar;
  root: Descriptor;
  rootBytes: Buffer;
  layer: Descriptor;
  /** Serves every node of the modelcar graph: generated JSON, the streamed layer, and the base blobs. */
  storage: ReadOnlyStorage;
  /** Digests of the base image blobs (layers), which can be mounted from the base image's repository. */
  baseBlobs: Set<string>;
}

/** ModelcarOptions for {@link buildModelcar}. */
export interface ModelcarOptions {
  onEvent?: ProgressSink;
  signal?: AbortSignal;
}

/**
 * prepareModelcar reads the model's ModelPack manifest and the base image's manifests and configs from
 * `storage` (a BundleReader) and works out the provenance, annotations and layer entries. No model byte is read.
 */
export async function prepareModelcar(storage: ReadOnlyStorage, model: Artifact, base: Artifact, options: { signal?: AbortSignal } = {}): Promise<PreparedModelcar> {
  const what = `modelcar of ${model.name}`;
  if (model.kind !== 'model') throw new AirbundleError('SPEC_INVALID', `${what}: ${model.name} is a ${model.kind}, not a model`);
  if (base.kind !== 'image') throw new AirbundleError('SPEC_INVALID', `${what}: the base ${base.name} is a ${base.kind}, not a container image`, { hint: 'name a small image with a shell (e.g. docker.io/library/busybox) as baseImage' });
  const modelRoot = { ...model.root, digest: parseDigest(model.root.digest) };
  const files = modelFileLayers(await fetchJson(storage, modelRoot, options.signal), `model ${model.name} (${model.ref})`);
  const { platforms, multiPlatform } = await basePlatforms(storage, base, options.signal);
  const colon = model.ref.lastIndexOf(':');
  const tag = colon > model.ref.lastIndexOf('/') ? model.ref.slice(colon + 1) : 'latest';
  const { type, uri, revision, resolvedAt, details } = model.provenance;
  const provenance: ModelcarProvenance = {
    mediaType: MT_MODELCAR_PROVENANCE,
    builder: MODELCAR_BUILDER,
    model: {
      name: model.name,
      ref: model.ref,
      digest: model.root.digest,
      source: model.source,
      provenance: { type, uri, ...(revision !== undefined ? { revision } : {}), ...(resolvedAt !== undefined ? { resolvedAt } : {}), ...(details !== undefined ? { details } : {}) },
    },
    base: { ref: base.ref, digest: base.root.digest },
    files: files.map((f) => ({ path: `${MODELCAR_MODEL_DIR}/${f.path}`, digest: f.desc.digest, size: f.desc.size })).sort((a, b) => (a.path < b.path ? -1 : 1)),
  };
  const provenanceBytes = Buffer.from(canonicalJson(provenance));
  const key = sha256Digest(provenanceBytes);
  return {
    model,
    base,
    repository: `modelcars/${model.name}`,
    tag,
    key,
    annotations: modelcarAnnotations(provenance, key),
    provenance,
    provenanceBytes,
    modelBytes: files.reduce((n, f) => n + f.desc.size, 0),
    platforms,
    multiPlatform,
    entries: modelcarLayerEntries(storage, files, provenanceBytes, options.signal),
    storage,
  };
}

/**
 * buildModelcar is the first pass: it streams the model files from the bundle into the layer tar, hashing
 * (nothing is written anywhere), then assembles config, manifest(s) and index. Reproducible: the same model and
 * base give the same digests, on any machine.
 */
export async function buildModelcar(prepared: PreparedModelcar, options: ModelcarOptions = {}): Promise<BuiltModelcar> {
  const onEvent = options.onEvent ?? noProgress;
  const item = `modelcar ${prepared.model.name}`;
  onEvent({ type: 'item-start', phase: 'modelcar', item, total: prepared.modelBytes });
  let done = 0;
  const measured = await measureLayer(prepared.entries, (n) => {
    done += n;
    onEvent({ type: 'bytes', phase: 'modelcar', item, done: Math.min(done, prepared.modelBytes), total: prepared.modelBytes });
  });
  onEvent({ type: 'item-end', phase: 'modelcar', item });
  const layer = layerDescriptor(measured.digest, measured.size);
  const memory = new MemoryStore();
  const created = createdOf(prepared.provenance);
  const built: Array<{ desc: Descriptor; platform: Platform | undefined; bytes: Buffer }> = [];
  const baseBlobs = new Set<string>();
  for (const p of prepared.platforms) {
    const image = modelcarImage(p, layer, prepared.annotations, created);
    memory.add(image.configDesc.mediaType, image.config);
    memory.add(image.manifestDesc.mediaType, image.manifest);
    built.push({ desc: image.manifestDesc, platform: p.platform, bytes: image.manifest });
    for (const l of (p.manifestDoc.layers as unknown[] | undefined) ?? []) if (isDescriptor(l)) baseBlobs.add(l.digest);
  }
  let root: Descriptor;
  let rootBytes: Buffer;
  if (prepared.multiPlatform) {
    const index = modelcarIndex(
      built.map((b) => ({ desc: b.desc, platform: b.platform! })),
      prepared.annotations,
    );
    memory.add(index.desc.mediaType, index.bytes);
    root = index.desc;
    rootBytes = index.bytes;
  } else {
    root = built[0]!.desc;
    rootBytes = built[0]!.bytes;
  }
  return { prepared, root, rootBytes, layer, storage: new ModelcarStorage(memory, layer, prepared), baseBlobs };
}

/** basePlatforms reads the base image: one platform, or every runnable platform of an index. */
async function basePlatforms(storage: ReadOnlyStorage, base: Artifact, signal?: AbortSignal): Promise<{ platforms: PlatformImage[]; multiPlatform: boolean }> {
  const root: Descriptor = { ...base.root, digest: parseDigest(base.root.digest) };
  const what = `base image ${base.name}`;
  if (!isManifestMediaType(root.mediaType)) throw new AirbundleError('SPEC_INVALID', `${what} is a ${root.mediaType}, not an image`);
  if (!isIndexMediaType(root.mediaType)) return { platforms: [await platformImage(storage, root, undefined, what, signal)], multiPlatform: false };
  const index = (await fetchJson(storage, root, signal)) as { manifests?: unknown[] };
  const platforms: PlatformImage[] = [];
  for (const m of index.manifests ?? []) {
    if (!isDescriptor(m) || m.platform === undefined || m.platform.os === 'unknown' || !isManifestMediaType(m.mediaType) || isIndexMediaType(m.mediaType)) continue;
    platforms.push(await platformImage(storage, m, m.platform, what, signal));
  }
  if (platforms.length === 0) throw new AirbundleError('SPEC_INVALID', `${what} has no runnable platform to put the model on`);
  return { platforms, multiPlatform: true };
}

async function platformImage(storage: ReadOnlyStorage, manifest: Descriptor, platform: Platform | undefined, what: string, signal?: AbortSignal): Promise<PlatformImage> {
  const manifestDoc = (await fetchJson(storage, manifest, signal)) as Record<string, unknown>;
  if (!isDescriptor(manifestDoc.config)) throw new AirbundleError('BUNDLE_CORRUPT', `${what}: manifest ${manifest.digest} has no config`);
  const configDoc = (await fetchJson(storage, manifestDoc.config, signal)) as Record<string, unknown>;
  if (configDoc === null || typeof configDoc !== 'object' || typeof configDoc.rootfs !== 'object') {
    throw new AirbundleError('SPEC_INVALID', `${what}: ${manifest.digest} is not a container image (its config has no rootfs)`, { hint: 'a modelcar base must be a runnable image with a shell, e.g. busybox' });
  }
  return { manifest, manifestDoc, configDoc, ...(platform !== undefined ? { platform } : {}) };
}

/** ModelcarStorage serves a modelcar's graph: generated JSON from memory, the layer by streaming, the rest from the bundle. */
class ModelcarStorage implements ReadOnlyStorage {
  readonly #memory: MemoryStore;
  readonly #layer: Descriptor;
  readonly #prepared: PreparedModelcar;

  constructor(memory: MemoryStore, layer: Descriptor, prepared: PreparedModelcar) {
    this.#memory = memory;
    this.#layer = layer;
    this.#prepared = prepared;
  }

  async exists(desc: Descriptor): Promise<boolean> {
    return desc.digest === this.#layer.digest || (await this.#memory.exists(desc)) || this.#prepared.storage.exists(desc);
  }

  async fetch(desc: Descriptor, options: FetchOptions = {}): Promise<Readable> {
    if (desc.digest === this.#layer.digest) return openLayer(this.#prepared.entries, options.offset ?? 0);
    if (await this.#memory.exists(desc)) return this.#memory.fetch(desc, options);
    const body = await this.#prepared.storage.fetch(desc, options);
    // A resumed read is checked by the registry, which verifies the digest of the whole upload.
    if ((options.offset ?? 0) > 0) return body;
    const verified = body.pipe(verifyStream(desc));
    body.on('error', (err) => verified.destroy(err));
    return verified;
  }
}
