import { AirbundleError } from '../../errors.js';
import type { Workload } from '../../schema/generated/bundle-spec.js';
import type { KubeObject } from '../kube-object.js';
import { hfSnapshotDir } from '../model-paths.js';
import { gpuResources, meta, modelcarOf, modelOf, podExtras, volumeOf, type GeneratorContext } from './generator-context.js';

/**
 * kserve makes an InferenceService whose storageUri is `pvc://VOLUME/PATH` (the model's files on a deploy volume),
 * `oci://REGISTRY/REPO@sha256:…` of the model artifact itself (storage oci), or of a modelcar image built at deploy
 * time with the model files under `/models` (storage modelcar, KServe's documented OCI contract). The modelcar's
 * provenance annotations are copied onto the InferenceService.
 */
export function kserve(w: Workload, ctx: GeneratorContext): KubeObject[] {
  const model = modelOf(w, ctx);
  const volume = volumeOf(w, ctx);
  const storage = w.storage ?? (volume !== undefined ? 'pvc' : 'oci');
  const m = meta(w.name, ctx, 'kserve');
  let storageUri: string;
  if (storage === 'pvc') {
    if (volume === undefined) throw new AirbundleError('SPEC_INVALID', `workload ${w.name}: storage pvc needs volume:`);
    const layout = volume.layout ?? 'hf-cache';
    if (layout === 'ollama') throw new AirbundleError('SPEC_INVALID', `workload ${w.name}: KServe cannot read the ollama layout`);
    storageUri = layout === 'hf-cache' ? hfSnapshotDir(`pvc://${volume.name}`, model) : `pvc://${volume.name}`;
  } else if (storage === 'modelcar') {
    const car = modelcarOf(w, ctx);
    storageUri = `oci://${car.reference}`;
    m.annotations = provenanceAnnotations(car.annotations);
  } else if (storage === 'oci') {
    storageUri = `oci://${ctx.images.resolve(w.image ?? model.ref, `workload ${w.name}`)}`;
  } else {
    throw new AirbundleError('SPEC_INVALID', `workload ${w.name}: kserve takes storage pvc, oci or modelcar, not ${storage}`);
  }
  const extras = podExtras(w, ctx);
  return [
    {
      apiVersion: 'serving.kserve.io/v1beta1',
      kind: 'InferenceService',
      metadata: m,
      spec: {
        predictor: {
          ...extras,
          model: {
            modelFormat: { name: 'huggingface' },
            ...(w.runtime !== undefined ? { runtime: w.runtime } : {}),
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

/** provenanceAnnotations keeps the short, human-readable provenance keys of a modelcar for an object's metadata. */
export function provenanceAnnotations(annotations: Record<string, string>): Record<string, string> {
  const keep = ['org.opencontainers.image.source', 'org.opencontainers.image.revision', 'org.opencontainers.image.created', 'dev.airbundle.modelcar.model', 'dev.airbundle.modelcar.model.digest', 'dev.airbundle.modelcar.source'];
  return Object.fromEntries(keep.filter((k) => annotations[k] !== undefined).map((k) => [k, annotations[k]!]));
}
