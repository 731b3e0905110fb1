/**
 * The order objects are applied in: what others refer to goes first (Namespaces before what lives in them, CRDs
 * before their custom resources, ServiceAccounts, Secrets and ConfigMaps before the pods that mount them, PVCs
 * before the workloads that claim them), workloads after, custom resources last. This is Helm's install order
 * (helm.sh/helm/v3 pkg/releaseutil/kind_sorter.go) with CustomResourceDefinitions moved up next to Namespaces.
 */

/** APPLY_ORDER lists kinds in the order they are applied; kinds not listed come after, in input order. */
export const APPLY_ORDER: readonly string[] = [
  'Namespace',
  'CustomResourceDefinition',
  'PriorityClass',
  'NetworkPolicy',
  'ResourceQuota',
  'LimitRange',
  'PodDisruptionBudget',
  'ServiceAccount',
  'Secret',
  'ConfigMap',
  'StorageClass',
  'PersistentVolume',
  'PersistentVolumeClaim',
  'ClusterRole',
  'ClusterRoleBinding',
  'Role',
  'RoleBinding',
  'Service',
  'DaemonSet',
  'Pod',
  'ReplicaSet',
  'Deployment',
  'HorizontalPodAutoscaler',
  'StatefulSet',
  'Job',
  'CronJob',
  'IngressClass',
  'Ingress',
  'APIService',
];

const RANK = new Map(APPLY_ORDER.map((kind, i) => [kind, i]));

/** applyRank returns the position of a kind in {@link APPLY_ORDER} (unlisted kinds rank last). */
export function applyRank(kind: string): number {
  return RANK.get(kind) ?? APPLY_ORDER.length;
}

/** sortForApply returns the objects in apply order; the sort is stable, so equal kinds keep their input order. */
export function sortForApply<T extends { kind?: string }>(objects: readonly T[]): T[] {
  return objects
    .map((obj, i) => ({ obj, i, rank: applyRank(obj.kind ?? '') }))
    .sort((a, b) => a.rank - b.rank || a.i - b.i)
    .map((e) => e.obj);
}
