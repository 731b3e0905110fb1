import { Deployment, DaemonSet, StatefulSet } from 'kubernetes-models/apps/v1';
import { Job } from 'kubernetes-models/batch/v1';
import { ConfigMap, Namespace, PersistentVolumeClaim, Pod, Secret, Service, ServiceAccount } from 'kubernetes-models/v1';
import { AirbundleError, errorMessage } from '../errors.js';
import { objectId, type KubeObject } from './kube-object.js';

/** Schema-checked kinds: the Kubernetes OpenAPI schemas as shipped by kubernetes-models. */
const MODELS: Record<string, new (data: never) => { validate(): void }> = {
  'apps/v1/Deployment': Deployment,
  'apps/v1/DaemonSet': DaemonSet,
  'apps/v1/StatefulSet': StatefulSet,
  'batch/v1/Job': Job,
  'v1/Pod': Pod,
  'v1/Service': Service,
  'v1/ServiceAccount': ServiceAccount,
  'v1/Secret': Secret,
  'v1/ConfigMap': ConfigMap,
  'v1/Namespace': Namespace,
  'v1/PersistentVolumeClaim': PersistentVolumeClaim,
};

const DNS_1123 = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/**
 * validateObjects checks rendered objects before anything is applied: core kinds against the Kubernetes
 * OpenAPI schemas (kubernetes-models), every object for a valid name; all problems reported at once.
 * Kinds without a schema here (CRDs such as InferenceService) get the name check and the server's own
 * validation at apply time.
 */
export function validateObjects(objects: KubeObject[]): void {
  const problems: string[] = [];
  for (const o of objects) {
    const id = objectId(o);
    if (o.metadata.name.length > 253 || !DNS_1123.test(o.metadata.name)) problems.push(`${id}: metadata.name "${o.metadata.name}" is not a valid DNS-1123 name`);
    const Model = MODELS[`${o.apiVersion}/${o.kind}`];
    if (Model === undefined) continue;
    try {
      new Model(o as never).validate();
    } catch (err) {
      problems.push(`${id}: ${errorMessage(err).split('\n').slice(0, 3).join(' ')}`);
    }
  }
  if (problems.length > 0) {
    throw new AirbundleError('MANIFEST_INVALID', `rendered objects fail the Kubernetes schemas:\n  ${problems.join('\n  ')}`, { hint: 'nothing was applied; fix the deploy section or the shipped manifest named' });
  }
}
