/**
 * The resources the Kubernetes API emulator serves, and their discovery documents
 * (https://kubernetes.io/docs/concepts/overview/kubernetes-api/#discovery-api, v1.31: `/api`, `/api/v1`, `/apis`,
 * `/apis/<group>/<version>`). CustomResourceDefinitions applied to the emulator add theirs.
 */
import { isObj, type Obj } from './k8s-emulator-ssa.js';

/** ResourceDef describes one served resource. */
export interface ResourceDef {
  group: string;
  version: string;
  plural: string;
  singular: string;
  kind: string;
  namespaced: boolean;
  shortNames?: string[];
  /** Subresources listed in discovery after the resource, with their kind. */
  subresources?: { name: string; kind: string; verbs: string[] }[];
}

const VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];
const STATUS = (kind: string): { name: string; kind: string; verbs: string[] } => ({ name: 'status', kind, verbs: ['get', 'patch', 'update'] });

const r = (group: string, version: string, plural: string, kind: string, namespaced: boolean, extra: Partial<ResourceDef> = {}): ResourceDef => ({
  group,
  version,
  plural,
  singular: kind.toLowerCase(),
  kind,
  namespaced,
  ...extra,
});

/** BUILTIN_RESOURCES is what a fresh emulator serves: core kinds plus KServe and OpenKruise as if installed. */
export const BUILTIN_RESOURCES: readonly ResourceDef[] = [
  r('', 'v1', 'namespaces', 'Namespace', false, { shortNames: ['ns'], subresources: [STATUS('Namespace')] }),
  r('', 'v1', 'pods', 'Pod', true, {
    shortNames: ['po'],
    subresources: [{ name: 'exec', kind: 'PodExecOptions', verbs: ['create', 'get'] }, { name: 'log', kind: 'Pod', verbs: ['get'] }, STATUS('Pod')],
  }),
  r('', 'v1', 'services', 'Service', true, { shortNames: ['svc'], subresources: [STATUS('Service')] }),
  r('', 'v1', 'configmaps', 'ConfigMap', true, { shortNames: ['cm'] }),
  r('', 'v1', 'secrets', 'Secret', true),
  r('', 'v1', 'serviceaccounts', 'ServiceAccount', true, { shortNames: ['sa'] }),
  r('', 'v1', 'persistentvolumeclaims', 'PersistentVolumeClaim', true, { shortNames: ['pvc'], subresources: [STATUS('PersistentVolumeClaim')] }),
  r('', 'v1', 'persistentvolumes', 'PersistentVolume', false, { shortNames: ['pv'] }),
  r('', 'v1', 'events', 'Event', true, { shortNames: ['ev'] }),
  r('', 'v1', 'nodes', 'Node', false, { shortNames: ['no'] }),
  r('apps', 'v1', 'deployments', 'Deployment', true, { shortNames: ['deploy'], subresources: [{ name: 'scale', kind: 'Scale', verbs: ['get', 'patch', 'update'] }, STATUS('Deployment')] }),
  r('apps', 'v1', 'statefulsets', 'StatefulSet', true, { shortNames: ['sts'], subresources: [STATUS('StatefulSet')] }),
  r('apps', 'v1', 'daemonsets', 'DaemonSet', true, { shortNames: ['ds'], subresources: [STATUS('DaemonSet')] }),
  r('apps', 'v1', 'replicasets', 'ReplicaSet', true, { shortNames: ['rs'] }),
  r('batch', 'v1', 'jobs', 'Job', true, { subresources: [STATUS('Job')] }),
  r('batch', 'v1', 'cronjobs', 'CronJob', true, { shortNames: ['cj'] }),
  r('storage.k8s.io', 'v1', 'storageclasses', 'StorageClass', false, { shortNames: ['sc'] }),
  r('apiextensions.k8s.io', 'v1', 'customresourcedefinitions', 'CustomResourceDefinition', false, { shortNames: ['crd', 'crds'], subresources: [STATUS('CustomResourceDefinition')] }),
  r('rbac.authorization.k8s.io', 'v1', 'roles', 'Role', true),
  r('rbac.authorization.k8s.io', 'v1', 'rolebindings', 'RoleBinding', true),
  r('rbac.authorization.k8s.io', 'v1', 'clusterroles', 'ClusterRole', false),
  r('rbac.authorization.k8s.io', 'v1', 'clusterrolebindings', 'ClusterRoleBinding', false),
  r('networking.k8s.io', 'v1', 'ingresses', 'Ingress', true, { shortNames: ['ing'] }),
  r('networking.k8s.io', 'v1', 'networkpolicies', 'NetworkPolicy', true, { shortNames: ['netpol'] }),
  r('policy', 'v1', 'poddisruptionbudgets', 'PodDisruptionBudget', true, { shortNames: ['pdb'] }),
  r('serving.kserve.io', 'v1beta1', 'inferenceservices', 'InferenceService', true, { shortNames: ['isvc'], subresources: [STATUS('InferenceService')] }),
  r('serving.kserve.io', 'v1alpha1', 'servingruntimes', 'ServingRuntime', true),
  r('serving.kserve.io', 'v1alpha1', 'clusterservingruntimes', 'ClusterServingRuntime', false),
  r('apps.kruise.io', 'v1alpha1', 'imagepulljobs', 'ImagePullJob', true, { subresources: [STATUS('ImagePullJob')] }),
  r('apps.kruise.io', 'v1alpha1', 'nodeimages', 'NodeImage', false),
];

/** groupVersion prints `group/version`, or just `version` for the core group. */
export const groupVersion = (d: { group: string; version: string }): string => (d.group === '' ? d.version : `${d.group}/${d.version}`);

/** resourcesFromCrd turns a CustomResourceDefinition into the resources it serves (one per served version). */
export function resourcesFromCrd(crd: Obj): ResourceDef[] {
  const spec = isObj(crd['spec']) ? crd['spec'] : {};
  const names = isObj(spec['names']) ? spec['names'] : {};
  const versions = Array.isArray(spec['versions']) ? spec['versions'].filter(isObj) : [];
  const kind = String(names['kind'] ?? '');
  return versions
    .filter((v) => v['served'] !== false)
    .map((v) =>
      r(String(spec['group'] ?? ''), String(v['name']), String(names['plural'] ?? ''), kind, spec['scope'] !== 'Cluster', {
        singular: String(names['singular'] ?? kind.toLowerCase()),
        ...(Array.isArray(names['shortNames']) ? { shortNames: names['shortNames'].map(String) } : {}),
        ...(isObj(v['subresources']) && 'status' in v['subresources'] ? { subresources: [STATUS(kind)] } : {}),
      }),
    );
}

/** apiResourceList is the discovery document of one group/version. */
export function apiResourceList(defs: readonly ResourceDef[], gv: { group: string; version: string }): Obj {
  const resources: Obj[] = [];
  for (const d of defs.filter((x) => x.group === gv.group && x.version === gv.version)) {
    resources.push({ name: d.plural, singularName: d.singular, namespaced: d.namespaced, kind: d.kind, verbs: VERBS, ...(d.shortNames ? { shortNames: d.shortNames } : {}) });
    for (const s of d.subresources ?? []) resources.push({ name: `${d.plural}/${s.name}`, singularName: '', namespaced: d.namespaced, kind: s.kind, verbs: s.verbs });
  }
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: groupVersion(gv), resources };
}

/** apiGroupList is the `/apis` document: every non-core group with its versions, the first one preferred. */
export function apiGroupList(defs: readonly ResourceDef[]): Obj {
  const groups = new Map<string, string[]>();
  for (const d of defs) {
    if (d.group === '') continue;
    const versions = groups.get(d.group) ?? [];
    if (!versions.includes(d.version)) versions.push(d.version);
    groups.set(d.group, versions);
  }
  return {
    kind: 'APIGroupList',
    apiVersion: 'v1',
    groups: [...groups].map(([name, versions]) => {
      const list = versions.map((version) => ({ groupVersion: `${name}/${version}`, version }));
      return { name, versions: list, preferredVersion: list[0] };
    }),
  };
}
