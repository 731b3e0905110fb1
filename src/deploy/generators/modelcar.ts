import type { Workload } from '../../schema/generated/bundle-spec.js';
import { ANNOTATION_MODELCAR_PROVENANCE } from '../../modelcar/modelcar-image.js';
import type { KubeObject } from '../kube-object.js';
import { meta, modelcarOf, type GeneratorContext } from './generator-context.js';
import { provenanceAnnotations } from './kserve.js';

/**
 * modelcar publishes a model as a KServe modelcar image (built and pushed by deploy, see planModelcars) for
 * whatever serves it later, and records where it is and where it came from in a ConfigMap named after the
 * workload (`image`: the in-cluster reference by digest; `provenance.json`: source, revision, digests, times):
 * seed 003's build → push → register pipeline as one workload entry.
 */
export function modelcar(w: Workload, ctx: GeneratorContext): KubeObject[] {
  const car = modelcarOf(w, ctx);
  const m = meta(w.name, ctx, 'modelcar');
  m.annotations = provenanceAnnotations(car.annotations);
  const provenance = car.annotations[ANNOTATION_MODELCAR_PROVENANCE];
  return [
    {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: m,
      data: {
        image: car.reference,
        storageUri: `oci://${car.reference}`,
        model: car.model.ref,
        ...(provenance !== undefined ? { 'provenance.json': provenance } : {}),
      },
    },
  ];
}
