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
  deploy?: Deploy;
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
   * hf://ORG/NAME[@REVISION] (a Hugging Face model repository at a branch, tag or commit; HF_ENDPOINT and HF_TOKEN are read from the environment), file://PATH (relative to this file), https://URL#sha256=HEX, http://URL#sha256=HEX, or oci://HOST/REPO:TAG (a model artifact in a registry).
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
     * zstd level for .tar.zst (default 1: on model weights the same size as 3, a third less CPU).
     */
    level?: number;
  };
}
/**
 * How bundle deploy puts the bundle to work: namespace, variables, model volumes, workloads from generators, shipped manifests.
 *
 * This interface was referenced by `BundleSpec`'s JSON-Schema
 * via the `definition` "Deploy".
 */
export interface Deploy {
  /**
   * Namespace for everything deployed (default: airbundle; --namespace wins).
   */
  namespace?: string;
  variables?: Variable[];
  volumes?: Volume[];
  workloads?: Workload[];
  manifests?: ManifestFile[];
  /**
   * A busybox-like image in this bundle, used by loader pods and pull Jobs that fill volumes (busybox applets: sh, tar, wget, sha256sum, cp, stat).
   */
  loaderImage?: string;
}
/**
 * This interface was referenced by `BundleSpec`'s JSON-Schema
 * via the `definition` "Variable".
 */
export interface Variable {
  /**
   * Used as ${NAME} in workload options and shipped manifests.
   */
  name: string;
  default?: string;
  description?: string;
  /**
   * Regular expression the value must match.
   */
  pattern?: string;
  /**
   * Deploy refuses to start without a value (from --set or --values).
   */
  required?: boolean;
  /**
   * Never printed; rendered into a Secret when used in env.
   */
  sensitive?: boolean;
}
/**
 * This interface was referenced by `BundleSpec`'s JSON-Schema
 * via the `definition` "Volume".
 */
export interface Volume {
  /**
   * PersistentVolumeClaim name.
   */
  name: string;
  /**
   * Name of a model in this bundle.
   */
  model: string;
  /**
   * How the files are laid out on the volume (default hf-cache).
   */
  layout?: 'plain' | 'hf-cache' | 'ollama';
  /**
   * Requested size, e.g. 20Gi (default: model size + 10%, at least 1Gi).
   */
  size?: string;
  storageClass?: string;
  /**
   * Default ReadWriteOnce; ReadWriteMany for a cache shared by several workloads.
   */
  accessMode?: 'ReadWriteOnce' | 'ReadWriteMany' | 'ReadOnlyMany';
  /**
   * stream: a loader pod fed from this machine; pull: a Job that fetches from the in-cluster registry (default). Both resume after an interruption: a re-run sends only what the volume does not hold yet.
   */
  transport?: 'stream' | 'pull';
}
/**
 * This interface was referenced by `BundleSpec`'s JSON-Schema
 * via the `definition` "Workload".
 */
export interface Workload {
  /**
   * vllm, ollama, kserve: model servers; prepull: warm nodes with images and models; modelcar: build the model into a KServe modelcar image in the registry (and a ConfigMap recording where it is and where it came from).
   */
  generator: 'vllm' | 'ollama' | 'kserve' | 'prepull' | 'modelcar';
  name: string;
  /**
   * Name of a model in this bundle.
   */
  model?: string;
  /**
   * Name of a deploy volume holding the model (vllm, ollama, kserve pvc://).
   */
  volume?: string;
  /**
   * Name of the serving image in this bundle (its name or ref).
   */
  image?: string;
  /**
   * modelcar (generator, or kserve with storage: modelcar): name of a small image in this bundle with a shell (e.g. docker.io/library/busybox:1.37) that the model layer is put on (default: deploy.loaderImage).
   */
  baseImage?: string;
  /**
   * kserve: the ServingRuntime (or ClusterServingRuntime) to use, e.g. one shipped under deploy.manifests (default: KServe picks one for the huggingface format).
   */
  runtime?: string;
  replicas?: number | string;
  /**
   * nvidia.com/gpu per replica.
   */
  gpus?: number | string;
  port?: number;
  args?: string[];
  env?: {
    [k: string]: string;
  };
  nodeSelector?: {
    [k: string]: string;
  };
  tolerations?: {}[];
  /**
   * prepull: names of images in this bundle to pre-pull on the selected nodes; a model named here is pulled as a Kubernetes ImageVolume.
   */
  images?: string[];
  /**
   * Where the model comes from: a PVC (default with volume:), the registry as the model artifact itself (oci), a Kubernetes ImageVolume, or a KServe modelcar image built at deploy time from the model and baseImage (modelcar: oci://…@sha256:… of the built image).
   */
  storage?: 'pvc' | 'oci' | 'imageVolume' | 'modelcar';
}
/**
 * This interface was referenced by `BundleSpec`'s JSON-Schema
 * via the `definition` "ManifestFile".
 */
export interface ManifestFile {
  /**
   * A YAML file of Kubernetes objects, relative to bundle.yaml; it is embedded (and signed) in bundle.json at build time. Images are rewritten to the in-cluster registry by digest.
   */
  path: string;
  /**
   * Filled in by bundle build.
   */
  content?: string;
}
