import type { Artifact } from '../../bundle/manifest.js';
import { AirbundleError } from '../../errors.js';
import type { Volume, Workload } from '../../schema/generated/bundle-spec.js';
import type { ImageMap } from '../image-map.js';
import type { KubeObject } from '../kube-object.js';
import { managedLabels } from '../kube-object.js';
import { modelcarInputs, modelcarKey, type ModelcarRef } from '../modelcars.js';

/** GeneratorContext is what every generator may read: names, images by digest, models and volumes. Pure data. */
export interface GeneratorContext {
  bundle: string;
  namespace: string;
  registry: string;
  images: ImageMap;
  models: Artifact[];
  /** Every artifact of the bundle. */
  artifacts: Artifact[];
  volumes: Volume[];
  /** Name of the registry pull Secret, when credentials were given. */
  pullSecret?: string;
  /** deploy.loaderImage: the busybox-like image of loaders, wait-for-model init containers, and default modelcar base. */
  loaderImage?: string;
  /** Modelcars built for this deploy, by modelcarKey. */
  modelcars?: Map<string, ModelcarRef>;
  /** What each volume's `.done` marker holds once it is filled (`sha256:…`), by volume name. */
  volumeDone?: Map<string, string>;
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

/** modelcarOf returns the modelcar built for a workload (kserve storage modelcar, or the modelcar generator). */
export function modelcarOf(w: Workload, ctx: GeneratorContext): ModelcarRef & { model: Artifact } {
  const { model, base } = modelcarInputs(w, ctx.artifacts, ctx.loaderImage);
  const ref = ctx.modelcars?.get(modelcarKey(model, base));
  if (ref === undefined) {
    throw new AirbundleError('INTERNAL', `workload ${w.name}: the modelcar of ${model.name} on ${base.name} was not built before rendering`, {
      hint: 'renderDeploy needs options.modelcars from planModelcars (bundle deploy does this)',
    });
  }
  return { ...ref, model };
}

/**
 * waitForVolume is an init container that holds a pod until the volume's `.done` marker names the expected
 * materialisation (every file verified by its sha256, the manifest of checksums written, the marker last), so a
 * workload applied before its volume is filled (GitOps applies everything at once) never reads a partial model.
 * Empty when the marker or a loader image is not known.
 */
export function waitForVolume(volume: Volume, podVolume: string, mountPath: string, ctx: GeneratorContext): Record<string, unknown>[] {
  const done = ctx.volumeDone?.get(volume.name);
  if (done === undefined || ctx.loaderImage === undefined) return [];
  return [
    {
      name: 'wait-for-model',
      image: ctx.images.resolve(ctx.loaderImage, 'deploy.loaderImage'),
      command: ['sh', '-c', `until [ "$(cat ${mountPath}/.done 2>/dev/null)" = "${done}" ]; do echo "waiting for volume ${volume.name} to hold ${volume.model}"; sleep 5; done`],
      volumeMounts: [{ name: podVolume, mountPath, readOnly: true }],
      resources: { requests: { cpu: '1m', memory: '8Mi' } },
    },
  ];
}
