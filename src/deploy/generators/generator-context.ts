import type { Artifact } from '../../bundle/manifest.js';
import { AirbundleError } from '../../errors.js';
import type { Volume, Workload } from '../../schema/generated/bundle-spec.js';
import type { ImageMap } from '../image-map.js';
import type { KubeObject } from '../kube-object.js';
import { managedLabels } from '../kube-object.js';

/** GeneratorContext is what every generator may read: names, images by digest, models and volumes. Pure data. */
export interface GeneratorContext {
  bundle: string;
  namespace: string;
  registry: string;
  images: ImageMap;
  models: Artifact[];
  volumes: Volume[];
  /** Name of the registry pull Secret, when credentials were given. */
  pullSecret?: string;
}

/** Generator turns one workload entry into Kubernetes objects. Pure. */
export type Generator = (w: Workload, ctx: GeneratorContext) => KubeObject[];

/** modelOf finds the model a workload names. */
export function modelOf(w: Workload, ctx: GeneratorContext): Artifact {
  const name = w.model ?? volumeOf(w, ctx)?.model;
  const found = ctx.models.find((m) => m.name === name || m.ref === name);
  if (name === undefined || found === undefined) {
    throw new AirbundleError('MODEL_NOT_IN_BUNDLE', `workload ${w.name} (${w.generator}) needs a model; ${name === undefined ? 'none is named' : `"${name}" is not in this bundle`}`, {
      hint: `models in the bundle: ${ctx.models.map((m) => m.name).join(', ') || 'none'}`,
    });
  }
  return found;
}

/** volumeOf finds the deploy volume a workload names (undefined when it names none). */
export function volumeOf(w: Workload, ctx: GeneratorContext): Volume | undefined {
  if (w.volume === undefined) return undefined;
  const v = ctx.volumes.find((x) => x.name === w.volume);
  if (v === undefined) throw new AirbundleError('SPEC_INVALID', `workload ${w.name} uses volume "${w.volume}", which is not under deploy.volumes`);
  return v;
}

/** imageOf resolves the workload's serving image (or a default name) to the in-cluster reference. */
export function imageOf(w: Workload, ctx: GeneratorContext, fallback: string): string {
  return ctx.images.resolve(w.image ?? fallback, `workload ${w.name}`);
}

/** podExtras are the scheduling and pull-secret parts every generated pod shares. */
export function podExtras(w: Workload, ctx: GeneratorContext): Record<string, unknown> {
  return {
    ...(w.nodeSelector !== undefined ? { nodeSelector: w.nodeSelector } : {}),
    ...(w.tolerations !== undefined ? { tolerations: w.tolerations } : {}),
    ...(ctx.pullSecret !== undefined ? { imagePullSecrets: [{ name: ctx.pullSecret }] } : {}),
  };
}

/** gpuResources asks for `gpus` NVIDIA GPUs per replica. */
export function gpuResources(w: Workload): Record<string, unknown> {
  const n = w.gpus === undefined ? 0 : Number(w.gpus);
  return n > 0 ? { resources: { limits: { 'nvidia.com/gpu': String(n) } } } : {};
}

/** meta builds metadata for a generated object. */
export function meta(name: string, ctx: GeneratorContext, component: string): KubeObject['metadata'] {
  return { name, namespace: ctx.namespace, labels: managedLabels(ctx.bundle, component) };
}

/** deploymentWithService is the Deployment + ClusterIP Service pair most servers need. */
export function deploymentWithService(w: Workload, ctx: GeneratorContext, port: number, pod: Record<string, unknown>): KubeObject[] {
  const labels = { 'app.kubernetes.io/instance': w.name };
  const m = meta(w.name, ctx, w.generator);
  return [
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: m,
      spec: {
        replicas: w.replicas === undefined ? 1 : Number(w.replicas),
        selector: { matchLabels: labels },
        template: { metadata: { labels: { ...m.labels, ...labels } }, spec: { ...podExtras(w, ctx), ...pod } },
      },
    },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: m,
      spec: { selector: labels, ports: [{ name: 'http', port, targetPort: port }] },
    },
  ];
}
