import { AirbundleError } from '../../errors.js';
import type { Workload } from '../../schema/generated/bundle-spec.js';
import type { KubeObject } from '../kube-object.js';
import { hfSnapshotDir } from '../model-paths.js';
import { gpuResources, meta, modelOf, podExtras, volumeOf, type GeneratorContext } from './generator-context.js';

/**
 * kserve makes an InferenceService whose storageUri is `pvc://VOLUME/PATH` (the model's files on a deploy volume)
 * or `oci://REGISTRY/REPO@sha256:…` (a modelcar image in the in-cluster registry, by digest).
 */
export function kserve(w: Workload, ctx: GeneratorContext): KubeObject[] {
  const model = modelOf(w, ctx);
  const volume = volumeOf(w, ctx);
  const storage = w.storage ?? (volume !== undefined ? 'pvc' : 'oci');
  let storageUri: string;
  if (storage === 'pvc') {
    if (volume === undefined) throw new AirbundleError('SPEC_INVALID', `workload ${w.name}: storage pvc needs volume:`);
    const layout = volume.layout ?? 'hf-cache';
    if (layout === 'ollama') throw new AirbundleError('SPEC_INVALID', `workload ${w.name}: KServe cannot read the ollama layout`);
    storageUri = layout === 'hf-cache' ? hfSnapshotDir(`pvc://${volume.name}`, model) : `pvc://${volume.name}`;
  } else {
    storageUri = `oci://${ctx.images.resolve(w.image ?? model.ref, `workload ${w.name}`)}`;
  }
  const extras = podExtras(w, ctx);
  return [
    {
      apiVersion: 'serving.kserve.io/v1beta1',
      kind: 'InferenceService',
      metadata: meta(w.name, ctx, 'kserve'),
      spec: {
        predictor: {
          ...extras,
          model: {
            modelFormat: { name: 'huggingface' },
            storageUri,
            ...(w.args !== undefined ? { args: w.args } : {}),
            ...(w.env !== undefined ? { env: Object.entries(w.env).map(([name, value]) => ({ name, value })) } : {}),
            ...gpuResources(w),
          },
        },
      },
    },
  ];
}
