import type { ContentCache } from '../cache/content-cache.js';
import type { Descriptor } from '../content/descriptor.js';
import type { Digest } from '../content/digest.js';
import type { ReadOnlyStorage } from '../content/storage.js';
import type { RegistryOptions } from '../oci/registry.js';
import type { ProgressSink } from '../progress/events.js';
import type { Provenance } from '../schema/generated/bundle-manifest.js';

export type { Provenance };

/** ArtifactKind is what an artifact is for: a model, a container image, or plain files. */
export type ArtifactKind = 'model' | 'image' | 'file';

/** SourceContext is what every source gets from the build: the cache, where the spec lives, and a progress sink. */
export interface SourceContext {
  cache: ContentCache;
  /** Directory of bundle.yaml: relative paths in sources resolve against it. */
  specDir: string;
  /** Blobs larger than this get chunk digests. */
  chunkSize: number;
  /** Time to record when a source has no time of its own (SOURCE_DATE_EPOCH, or now). */
  now: Date;
  onEvent: ProgressSink;
  signal?: AbortSignal;
  /** How to reach registries (TLS, plain HTTP, credentials) for registry sources. */
  registry?: Omit<RegistryOptions, 'onEvent' | 'phase'>;
  /** A download connection that sends nothing for this long is dropped and retried (default: the downloader's). */
  idleTimeoutMs?: number;
}

/**
 * ResolvedArtifact is what a source turns an origin into: a read-only store that serves every blob of the
 * artifact (verifying as it reads), the root descriptor, what is known of chunk digests, and provenance.
 */
export interface ResolvedArtifact {
  kind: ArtifactKind;
  name: string;
  /** Reference name in index.json (`org.opencontainers.image.ref.name`). */
  ref: string;
  /** The source as written in the spec. */
  source: string;
  root: Descriptor;
  storage: ReadOnlyStorage;
  /** Chunk digests already computed while ingesting, by blob digest. Missing ones are computed by the build. */
  chunks: Map<Digest, Digest[]>;
  provenance: Provenance;
  platforms?: string[];
}
