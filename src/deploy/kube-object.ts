/** KubeObject is any Kubernetes object as JSON: enough typing to name and place it. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    [key: string]: unknown;
  };
  [key: string]: unknown;
}

/** isKubeObject is a structural guard for objects read from YAML. */
export function isKubeObject(value: unknown): value is KubeObject {
  if (value === null || typeof value !== 'object') return false;
  const v = value as Record<string, unknown>;
  const meta = v.metadata as Record<string, unknown> | undefined;
  return typeof v.apiVersion === 'string' && typeof v.kind === 'string' && typeof meta?.name === 'string';
}

/** objectId names an object for messages and file names: `Deployment/ai/vllm`. */
export function objectId(o: KubeObject): string {
  return `${o.kind}/${o.metadata.namespace !== undefined ? `${o.metadata.namespace}/` : ''}${o.metadata.name}`;
}

/** COMMON_LABELS marks everything deploy manages. */
export function managedLabels(bundle: string, component: string): Record<string, string> {
  return { 'app.kubernetes.io/managed-by': 'airbundle', 'app.kubernetes.io/part-of': bundle, 'app.kubernetes.io/name': component };
}
