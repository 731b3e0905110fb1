import { isManifestMediaType } from '../bundle/layout.js';
import { copyGraph } from '../content/copy-graph.js';
import type { Descriptor } from '../content/descriptor.js';
import { isDigest } from '../content/digest.js';
import type { FetchOptions, OpenBody, PushOptions, Storage } from '../content/storage.js';
import { isAirbundleError } from '../errors.js';
import type { Registry } from '../oci/registry.js';
import type { Repository } from '../oci/repository.js';
import { noProgress, type ProgressSink } from '../progress/events.js';
import { targetFor } from '../targets/name-mapping.js';
import type { BuiltModelcar, PreparedModelcar } from './build-modelcar.js';
import { ANNOTATION_MODELCAR_KEY } from './modelcar-image.js';

/** PushModelcarOptions for {@link pushModelcar}. */
export interface PushModelcarOptions {
  /** Repository prefix of `--registry HOST/PREFIX`. */
  prefix?: string;
  onEvent?: ProgressSink;
  signal?: AbortSignal;
}

/** PushedModelcar is where a modelcar now is. */
export interface PushedModelcar {
  /** `HOST/PREFIX/modelcars/<model>:<tag>` */
  reference: string;
  digest: string;
  /** Bytes sent (the layer is the second pass over the model; 0 when the registry had everything). */
  bytes: number;
}

/** modelcarRepository is the repository a modelcar goes to under `prefix`. */
export function modelcarRepository(prepared: Pick<PreparedModelcar, 'repository' | 'tag'>, prefix = ''): { repository: string; tag: string } {
  return targetFor(`${prepared.repository}:${prepared.tag}`, prefix);
}

/**
 * pushModelcar is the second pass: it copies the modelcar graph into `<prefix>/modelcars/<model>`, children
 * before parents (the layer is streamed from the bundle once more, never spooled; a blob the registry has is
 * skipped; base layers are mounted from the base image's repository), then tags it last.
 */
export async function pushModelcar(registry: Registry, built: BuiltModelcar, options: PushModelcarOptions = {}): Promise<PushedModelcar> {
  const onEvent = options.onEvent ?? noProgress;
  const { repository, tag } = modelcarRepository(built.prepared, options.prefix);
  const baseRepository = targetFor(built.prepared.base.ref, options.prefix).repository;
  const repo = registry.repository(repository);
  const item = `${repository}:${tag}`;
  let bytes = 0;
  onEvent({ type: 'item-start', phase: 'modelcar', item, total: built.layer.size });
  await copyGraph(built.storage, new MountingRepository(repo, built.baseBlobs, baseRepository), built.root, {
    signal: options.signal,
    onBytes: (desc, n) => {
      bytes += n;
      if (desc.digest === built.layer.digest) onEvent({ type: 'bytes', phase: 'modelcar', item, done: Math.min(bytes, built.layer.size), total: built.layer.size });
    },
  });
  await repo.pushManifest(built.root, built.rootBytes, tag, { signal: options.signal });
  onEvent({ type: 'item-end', phase: 'modelcar', item, ...(bytes === 0 ? { skipped: true } : {}) });
  return { reference: `${registry.name}/${repository}:${tag}`, digest: built.root.digest, bytes };
}

/**
 * findModelcar looks for a modelcar already pushed with the same key (same model, base and builder) under its
 * tag, so a re-deploy need not read the model again to learn the digest. The tag is written only after every
 * blob is in, and the key pins every input, so a match is the image a build would make. Anything else
 * (no tag, another key, a registry that cannot be asked) is "not found".
 */
export async function findModelcar(registry: Registry, prepared: PreparedModelcar, options: { prefix?: string; signal?: AbortSignal } = {}): Promise<Descriptor | undefined> {
  const { repository, tag } = modelcarRepository(prepared, options.prefix);
  try {
    const { descriptor, bytes } = await registry.repository(repository).fetchManifest(tag, { signal: options.signal });
    const doc = JSON.parse(bytes.toString('utf8')) as { annotations?: Record<string, unknown> };
    if (doc.annotations?.[ANNOTATION_MODELCAR_KEY] !== prepared.key || !isDigest(descriptor.digest)) return undefined;
    return descriptor;
  } catch (err) {
    if (options.signal?.aborted === true) throw err;
    if (isAirbundleError(err) || err instanceof SyntaxError) return undefined;
    throw err;
  }
}

/** MountingRepository pushes into a repository, mounting the base layers from the base image's repository. */
class MountingRepository implements Storage {
  readonly #repo: Repository;
  readonly #baseBlobs: Set<string>;
  readonly #from: string;

  constructor(repo: Repository, baseBlobs: Set<string>, from: string) {
    this.#repo = repo;
    this.#baseBlobs = baseBlobs;
    this.#from = from;
  }

  exists(desc: Descriptor): Promise<boolean> {
    return this.#repo.exists(desc);
  }

  fetch(desc: Descriptor, options?: FetchOptions) {
    return this.#repo.fetch(desc, options);
  }

  async push(desc: Descriptor, open: OpenBody, options: PushOptions = {}): Promise<void> {
    if (this.#baseBlobs.has(desc.digest) && this.#from !== this.#repo.name && !isManifestMediaType(desc.mediaType)) {
      await this.#repo.mount(desc, this.#from, open, options);
      return;
    }
    await this.#repo.push(desc, open, options);
  }
}
