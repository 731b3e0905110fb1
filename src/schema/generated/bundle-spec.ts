/* Generated from schemas/bundle-spec.schema.json by scripts/gen-schema-types.ts. Do not edit: edit the schema and run npm run gen:types. */
/**
 * bundle.yaml: what a bundle holds and where each piece comes from.
 */
export interface BundleSpec {
  apiVersion: 'airbundle.dev/v1';
  kind: 'Bundle';
  metadata: Metadata;
  models?: ModelEntry[];
  images?: ImageEntry[];
  options?: Options;
}
/**
 * This interface was referenced by `BundleSpec`'s JSON-Schema
 * via the `definition` "Metadata".
 */
export interface Metadata {
  /**
   * Bundle name: lower case letters, digits, '.', '_' and '-'.
   */
  name: string;
  /**
   * Bundle version; also the default tag of models.
   */
  version: string | number;
  description?: string;
}
/**
 * This interface was referenced by `BundleSpec`'s JSON-Schema
 * via the `definition` "ModelEntry".
 */
export interface ModelEntry {
  /**
   * Model name; the artifact is models/<name>:<tag>.
   */
  name: string;
  /**
   * file://PATH (relative to this file), https://URL#sha256=HEX, http://URL#sha256=HEX, or oci://HOST/REPO:TAG (a model artifact in a registry).
   */
  source: string;
  /**
   * Tag of the model artifact (default: metadata.version).
   */
  tag?: string;
  /**
   * Expected sha256 of a single-file source (same as #sha256= in the URL).
   */
  sha256?: string;
  /**
   * Glob patterns of files to take (default: all).
   */
  include?: string[];
  /**
   * Glob patterns of files to leave out.
   */
  exclude?: string[];
  /**
   * Weight format recorded in the ModelPack config: safetensors, gguf, onnx, pytorch, …
   */
  format?: string;
}
/**
 * This interface was referenced by `BundleSpec`'s JSON-Schema
 * via the `definition` "ImageEntry".
 */
export interface ImageEntry {
  /**
   * An image reference (docker.io/library/alpine:3.20, HOST:PORT/REPO@sha256:…), oci://HOST/REPO:TAG, or oci-layout:PATH:TAG (a local OCI image layout).
   */
  source: string;
  /**
   * Reference name in the bundle, e.g. library/nginx:1.27 (default: from the source).
   */
  name?: string;
  /**
   * Platforms to keep from a multi-platform image, e.g. linux/amd64.
   */
  platforms?: string[];
}
/**
 * This interface was referenced by `BundleSpec`'s JSON-Schema
 * via the `definition` "Options".
 */
export interface Options {
  /**
   * Chunk size for chunk digests, e.g. 64M (default 64M, at least 1M).
   */
  chunkSize?: string | number;
  compression?: {
    /**
     * zstd level for .tar.zst (default 3).
     */
    level?: number;
  };
}
