import { AirbundleError } from '../../errors.js';
import type { Workload } from '../../schema/generated/bundle-spec.js';
import type { KubeObject } from '../kube-object.js';
import { hfSnapshotDir } from '../model-paths.js';
import { deploymentWithService, gpuResources, imageOf, modelOf, volumeOf, waitForVolume, type GeneratorContext } from './generator-context.js';

const CACHE = '/models-cache';

/**
 * vllm serves a model with vLLM's OpenAI-compatible server: from a PVC in hf-cache layout (offline, by snapshot
 * path) or plain layout, or from a Kubernetes ImageVolume of the model artifact in the in-cluster registry.
 * On a PVC, an init container waits for the volume's `.done` marker, so a shared cache is read only when whole.
 */
export function vllm(w: Workload, ctx: GeneratorContext): KubeObject[] {
  const model = modelOf(w, ctx);
  const port = w.port ?? 8000;
  const volume = volumeOf(w, ctx);
  const storage = w.storage ?? (volume !== undefined ? 'pvc' : 'imageVolume');
  let modelPath: string;
  let volumes: unknown[];
  let mounts: unknown[];
  let init: unknown[] = [];
  if (storage === 'pvc') {
    if (volume === undefined) throw new AirbundleError('SPEC_INVALID', `workload ${w.name}: storage pvc needs volume: (a deploy volume holding ${model.name})`);
    const layout = volume.layout ?? 'hf-cache';
    if (layout === 'ollama') throw new AirbundleError('SPEC_INVALID', `workload ${w.name}: vLLM cannot read the ollama layout of volume ${volume.name}; use hf-cache or plain`);
    modelPath = layout === 'hf-cache' ? hfSnapshotDir(CACHE, model) : CACHE;
    volumes = [{ name: 'model', persistentVolumeClaim: { claimName: volume.name, readOnly: true } }];
    mounts = [{ name: 'model', mountPath: CACHE, readOnly: true }];
    init = waitForVolume(volume, 'model', CACHE, ctx);
  } else if (storage === 'imageVolume') {
    modelPath = '/models';
    volumes = [{ name: 'model', image: { reference: ctx.images.resolve(model.ref, `workload ${w.name}`), pullPolicy: 'IfNotPresent' } }];
    mounts = [{ name: 'model', mountPath: '/models', readOnly: true }];
  } else {
    throw new AirbundleError('SPEC_INVALID', `workload ${w.name}: vllm takes storage pvc or imageVolume, not ${storage}`);
  }
  const env = { HF_HUB_OFFLINE: '1', TRANSFORMERS_OFFLINE: '1', HF_HUB_CACHE: CACHE, ...(w.env ?? {}) };
  return deploymentWithService(w, ctx, port, {
    ...(init.length > 0 ? { initContainers: init } : {}),
    containers: [
      {
        name: 'vllm',
        image: imageOf(w, ctx, 'vllm/vllm-openai'),
        args: ['--model', modelPath, '--served-model-name', model.name, '--port', String(port), ...(w.args ?? [])],
        env: Object.entries(env).map(([name, value]) => ({ name, value })),
        ports: [{ name: 'http', containerPort: port }],
        volumeMounts: mounts,
        readinessProbe: { httpGet: { path: '/health', port }, periodSeconds: 10, failureThreshold: 60 },
        ...gpuResources(w),
      },
    ],
    volumes,
  });
}
