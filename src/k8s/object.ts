/**
 * The plain-JSON view of a Kubernetes object that this layer passes around, and the reference that names one.
 * Objects stay untyped JSON on purpose: we apply what `bundle deploy` rendered, byte for byte, and read only the
 * few status fields readiness needs, through the guards below.
 */

/** KubeObject is a Kubernetes object as the API server sends it: apiVersion, kind, metadata, anything else. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: KubeMetadata;
  [field: string]: unknown;
}

/** KubeMetadata is the part of `metadata` this layer reads. */
export interface KubeMetadata {
  name: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  [field: string]: unknown;
}

/** ObjectRef names one object: its apiVersion, kind, name and (for namespaced kinds) namespace. */
export interface ObjectRef {
  apiVersion: string;
  kind: string;
  name: string;
  /** Absent for cluster-scoped kinds; for a namespaced kind, absent means the kubeconfig context's namespace. */
  namespace?: string;
}

/** isRecord tells whether `v` is a plain JSON object. */
export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** at walks `path` into a JSON value and returns what is there, or undefined. */
export function at(v: unknown, ...path: string[]): unknown {
  let cur = v;
  for (const key of path) {
    if (!isRecord(cur)) return undefined;
    cur = cur[key];
  }
  return cur;
}

/** numberAt is {@link at} for a number. */
export function numberAt(v: unknown, ...path: string[]): number | undefined {
  const x = at(v, ...path);
  return typeof x === 'number' ? x : undefined;
}

/** stringAt is {@link at} for a string. */
export function stringAt(v: unknown, ...path: string[]): string | undefined {
  const x = at(v, ...path);
  return typeof x === 'string' ? x : undefined;
}

/** recordsAt is {@link at} for an array of objects (other entries are dropped). */
export function recordsAt(v: unknown, ...path: string[]): Record<string, unknown>[] {
  const x = at(v, ...path);
  return Array.isArray(x) ? x.filter(isRecord) : [];
}

/** refOf returns the reference of an object. */
export function refOf(obj: KubeObject): ObjectRef {
  const { apiVersion, kind } = obj;
  const { name, namespace } = obj.metadata;
  return namespace === undefined ? { apiVersion, kind, name } : { apiVersion, kind, name, namespace };
}

/** formatRef names an object the way kubectl does in messages: `Deployment ml/vllm`, `Namespace ml`. */
export function formatRef(ref: ObjectRef): string {
  return `${ref.kind} ${ref.namespace === undefined ? '' : `${ref.namespace}/`}${ref.name}`;
}

/** groupOf returns the API group of an apiVersion (`''` for the core group). */
export function groupOf(apiVersion: string): string {
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? '' : apiVersion.slice(0, slash);
}

/** asKubeObject checks the minimum an object needs to be sent: apiVersion, kind and metadata.name. */
export function asKubeObject(v: unknown): KubeObject | string {
  if (!isRecord(v)) return 'not an object';
  if (typeof v['apiVersion'] !== 'string' || v['apiVersion'] === '') return 'apiVersion is missing';
  if (typeof v['kind'] !== 'string' || v['kind'] === '') return 'kind is missing';
  const name = at(v, 'metadata', 'name');
  if (typeof name !== 'string' || name === '') return `${v['kind']}: metadata.name is missing`;
  return v as KubeObject;
}
