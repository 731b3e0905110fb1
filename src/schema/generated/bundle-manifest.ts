/* Generated from schemas/bundle-manifest.schema.json by scripts/gen-schema-types.ts. Do not edit: edit the schema and run npm run gen:types. */
/**
 * This interface was referenced by `BundleManifest`'s JSON-Schema
 * via the `definition` "Digest".
 */
export type Digest = string;

/**
 * bundle.json: the signed root document of a bundle (DESIGN §4). Its canonical JSON bytes are what bundle.sig signs.
 */
export interface BundleManifest {
  schemaVersion: 1;
  mediaType: 'application/vnd.airbundle.bundle.v1+json';
  name: string;
  version: string;
  /**
   * RFC 3339 time: SOURCE_DATE_EPOCH when set, else the newest provenance time.
   */
  created: string;
  /**
   * The tool and version that wrote the bundle.
   */
  generator: string;
  /**
   * Blobs larger than this carry per-chunk sha256 digests.
   */
  chunkSize: number;
  /**
   * Echo of the validated bundle.yaml spec.
   */
  spec: {};
  artifacts: Artifact[];
  /**
   * Every blob of the bundle, sorted by digest.
   */
  blobs: BlobEntry[];
}
/**
 * This interface was referenced by `BundleManifest`'s JSON-Schema
 * via the `definition` "Artifact".
 */
export interface Artifact {
  kind: 'model' | 'image' | 'file';
  name: string;
  /**
   * org.opencontainers.image.ref.name of the artifact in index.json, e.g. models/tiny-llm:0.1.0 or hello:v1.
   */
  ref: string;
  /**
   * The source as written in the spec.
   */
  source: string;
  root: Descriptor;
  platforms?: string[];
  provenance: Provenance;
}
/**
 * This interface was referenced by `BundleManifest`'s JSON-Schema
 * via the `definition` "Descriptor".
 */
export interface Descriptor {
  mediaType: string;
  digest: Digest;
  size: number;
  artifactType?: string;
  annotations?: {
    [k: string]: string;
  };
}
/**
 * This interface was referenced by `BundleManifest`'s JSON-Schema
 * via the `definition` "Provenance".
 */
export interface Provenance {
  type: 'file' | 'http' | 'oci-layout' | 'oci' | 'hf' | 'ollama';
  /**
   * Where the content came from, resolved (absolute path, URL, registry reference).
   */
  uri: string;
  /**
   * RFC 3339 time the source was resolved or last modified.
   */
  resolvedAt?: string;
  /**
   * Exact revision: commit, digest, ETag.
   */
  revision?: string;
  details?: {
    [k: string]: string;
  };
}
/**
 * This interface was referenced by `BundleManifest`'s JSON-Schema
 * via the `definition` "BlobEntry".
 */
export interface BlobEntry {
  digest: Digest;
  size: number;
  mediaType: string;
  /**
   * sha256 of each chunkSize window, in order; present when size > chunkSize.
   */
  chunks?: Digest[];
}
