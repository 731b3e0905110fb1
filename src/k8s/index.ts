export { connectCluster } from './connect.js';
export type { ConnectOptions } from './connect.js';
export type {
  ApplyAction,
  ApplyOptions,
  ApplyResult,
  Cluster,
  ExecOptions,
  ExecResult,
  ObjectApplier,
  ObjectDeleter,
  ObjectReader,
  PodExecutor,
  ReadinessWaiter,
  WaitOptions,
} from './cluster.types.js';
export { APPLY_ORDER, sortForApply } from './apply-order.js';
export { assessReadiness } from './readiness.js';
export type { Readiness } from './readiness.js';
export { formatRef, refOf } from './object.js';
export type { KubeMetadata, KubeObject, ObjectRef } from './object.js';
