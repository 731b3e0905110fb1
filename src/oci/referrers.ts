/**
 * The referrers tag schema: where a registry has no referrers API (distribution 2.8 and 3.x answer 404), the
 * referrers of `sha256:<hex>` are listed in an OCI image index tagged `sha256-<hex>` in the same repository. These
 * pure helpers read and update that index; the Repository does the I/O.
 * Reference: https://github.com/opencontainers/distribution-spec/blob/v1.1.1/spec.md#referrers-tag-schema and
 * #pushing-manifests-with-subject.
 */
import { MT_OCI_INDEX } from '../bundle/layout.js';
import type { Descriptor } from '../content/descriptor.js';
import type { Digest } from '../content/digest.js';
import { isDescriptor } from '../content/graph.js';

/** ReferrersIndex is the image index that lists referrers. */
export interface ReferrersIndex {
  schemaVersion: 2;
  mediaType: typeof MT_OCI_INDEX;
  manifests: Descriptor[];
}

/** referrersTag is the tag-schema tag for a subject digest: `<alg>-<hex>`, truncated as the spec says. */
export function referrersTag(subject: Digest): string {
  const [alg = '', hex = ''] = subject.split(':');
  return `${alg.slice(0, 32)}-${hex.slice(0, 64)}`.replace(/[^a-zA-Z0-9_.-]/g, '-');
}

/** emptyReferrersIndex is the index to start from when the tag does not exist yet. */
export function emptyReferrersIndex(): ReferrersIndex {
  return { schemaVersion: 2, mediaType: MT_OCI_INDEX, manifests: [] };
}

/** parseReferrersIndex reads the descriptors listed in an index document (invalid entries are skipped). */
export function parseReferrersIndex(doc: unknown): ReferrersIndex {
  const list = (doc as { manifests?: unknown } | null)?.manifests;
  return { ...emptyReferrersIndex(), manifests: Array.isArray(list) ? list.filter(isDescriptor) : [] };
}

/** subjectOf returns the `subject` of a manifest document, if it has one. */
export function subjectOf(doc: unknown): Descriptor | undefined {
  const subject = (doc as { subject?: unknown } | null)?.subject;
  return isDescriptor(subject) ? subject : undefined;
}

/**
 * referrerDescriptor is the index entry for a manifest that refers to a subject: its descriptor, with
 * `artifactType` (the manifest's, else its config's media type) and the manifest's annotations.
 */
export function referrerDescriptor(desc: Descriptor, doc: unknown): Descriptor {
  const record = (doc ?? {}) as { artifactType?: unknown; config?: unknown; annotations?: unknown };
  const out: Descriptor = { mediaType: desc.mediaType, digest: desc.digest, size: desc.size };
  const configType = isDescriptor(record.config) ? record.config.mediaType : undefined;
  const artifactType = typeof record.artifactType === 'string' ? record.artifactType : configType;
  if (artifactType !== undefined) out.artifactType = artifactType;
  if (record.annotations !== null && typeof record.annotations === 'object') {
    const annotations = Object.fromEntries(Object.entries(record.annotations).filter((e): e is [string, string] => typeof e[1] === 'string'));
    if (Object.keys(annotations).length > 0) out.annotations = annotations;
  }
  return out;
}

/** addReferrer returns the index with `entry` added, or undefined when it is already listed. */
export function addReferrer(index: ReferrersIndex, entry: Descriptor): ReferrersIndex | undefined {
  if (index.manifests.some((d) => d.digest === entry.digest)) return undefined;
  return { ...index, manifests: [...index.manifests, entry] };
}

/** filterByArtifactType keeps the referrers of one artifact type (all when none is given). */
export function filterByArtifactType(list: Descriptor[], artifactType: string | undefined): Descriptor[] {
  return artifactType === undefined ? list : list.filter((d) => d.artifactType === artifactType);
}
