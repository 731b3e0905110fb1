import type { Descriptor } from '../content/descriptor.js';
import type { Digest } from '../content/digest.js';
import type { Artifact, BlobEntry, BundleManifest } from '../schema/generated/bundle-manifest.js';
import { canonicalJson } from '../util/canonical-json.js';
import {
  ANNOTATION_ARTIFACT_KIND,
  ANNOTATION_ARTIFACT_NAME,
  ANNOTATION_REF_NAME,
  BUNDLE_MEDIA_TYPE,
  BUNDLE_SCHEMA_VERSION,
  MT_OCI_INDEX,
} from './layout.js';

export type { Artifact, BlobEntry, BundleManifest };

/** ManifestInput is everything the build has resolved, ready to be written down. */
export interface ManifestInput {
  name: string;
  version: string;
  created: string;
  generator: string;
  chunkSize: number;
  spec: Record<string, unknown>;
  artifacts: Artifact[];
  /** Every blob of every artifact, with chunk digests for blobs over the chunk size. */
  blobs: Array<{ desc: Descriptor; chunks: Digest[] }>;
}

/**
 * assembleManifest builds bundle.json from resolved inputs. Pure: the same inputs give the same document;
 * blobs are de-duplicated and sorted by digest, artifacts keep the spec's order.
 */
export function assembleManifest(input: ManifestInput): BundleManifest {
  const byDigest = new Map<string, BlobEntry>();
  for (const { desc, chunks } of input.blobs) {
    if (byDigest.has(desc.digest)) continue;
    const entry: BlobEntry = { digest: desc.digest, size: desc.size, mediaType: desc.mediaType };
    if (desc.size > input.chunkSize) entry.chunks = chunks;
    byDigest.set(desc.digest, entry);
  }
  const blobs = [...byDigest.values()].sort((a, b) => (a.digest < b.digest ? -1 : a.digest > b.digest ? 1 : 0));
  return {
    schemaVersion: BUNDLE_SCHEMA_VERSION,
    mediaType: BUNDLE_MEDIA_TYPE,
    name: input.name,
    version: input.version,
    created: input.created,
    generator: input.generator,
    chunkSize: input.chunkSize,
    spec: input.spec,
    artifacts: input.artifacts,
    blobs,
  };
}

/** encodeManifest returns the canonical bytes of bundle.json: exactly what bundle.sig signs. */
export function encodeManifest(manifest: BundleManifest): Buffer {
  return Buffer.from(canonicalJson(manifest));
}

/** buildIndex returns index.json for the bundle: one entry per artifact with its ref name, sorted by ref. */
export function buildIndex(artifacts: Artifact[]): Buffer {
  const manifests = artifacts
    .map((a) => ({
      mediaType: a.root.mediaType,
      digest: a.root.digest,
      size: a.root.size,
      ...(a.root.artifactType !== undefined ? { artifactType: a.root.artifactType } : {}),
      annotations: {
        [ANNOTATION_REF_NAME]: a.ref,
        [ANNOTATION_ARTIFACT_KIND]: a.kind,
        [ANNOTATION_ARTIFACT_NAME]: a.name,
      },
    }))
    .sort((a, b) => (a.annotations[ANNOTATION_REF_NAME] < b.annotations[ANNOTATION_REF_NAME] ? -1 : 1));
  return Buffer.from(canonicalJson({ schemaVersion: 2, mediaType: MT_OCI_INDEX, manifests }));
}

/**
 * blobTableProblems checks what the schema cannot: each blob is listed once, and a blob with chunk digests has
 * exactly one per chunk of `chunkSize` (fewer would leave bytes that verify never hashes). Pure; one line each.
 */
export function blobTableProblems(manifest: BundleManifest): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  manifest.blobs.forEach((b, i) => {
    if (seen.has(b.digest)) problems.push(`blobs[${i}] lists ${b.digest} a second time`);
    seen.add(b.digest);
    const want = Math.ceil(b.size / manifest.chunkSize);
    if (b.chunks !== undefined && b.chunks.length !== want) {
      problems.push(`blobs[${i}] (${b.digest}, ${b.size} bytes) has ${b.chunks.length} chunk digests, ${want} expected for ${manifest.chunkSize}-byte chunks`);
    }
  });
  return problems;
}

/** blobOrder puts metadata (manifests, configs: small JSON) before large blobs, each group by digest. */
export function blobOrder(blobs: BlobEntry[]): BlobEntry[] {
  const isMeta = (b: BlobEntry): boolean => b.mediaType.endsWith('+json') || b.mediaType.endsWith('.json');
  const cmp = (a: BlobEntry, b: BlobEntry): number => (a.digest < b.digest ? -1 : a.digest > b.digest ? 1 : 0);
  return [...blobs.filter(isMeta).sort(cmp), ...blobs.filter((b) => !isMeta(b)).sort(cmp)];
}
