/**
 * What "ready" means, per kind, read from an object's status. Pure: the waiter (wait-ready.ts) fetches, this decides.
 * The rules follow `kubectl rollout status` (k8s.io/kubectl pkg/polymorphichelpers/rollout_status.go) for
 * Deployments, StatefulSets and DaemonSets, and the Job, PVC and Pod API conventions otherwise; any object with a
 * `Ready` condition (KServe InferenceService, most operators) is ready when that condition is True.
 */
import { at, isRecord, numberAt, recordsAt, stringAt, type KubeObject } from './object.js';

/** Readiness is the verdict on one object, with a message saying why (shown in progress and timeout errors). */
export interface Readiness {
  state: 'ready' | 'waiting' | 'failed';
  message: string;
}

/** ReadinessContext holds related objects some kinds need: a pending PVC's StorageClass. */
export interface ReadinessContext {
  storageClass?: KubeObject;
}

/** Kinds that report readiness only through a Ready condition, and so are not ready before they have one. */
const READY_CONDITION_KINDS = new Set(['InferenceService', 'InferenceGraph', 'LLMInferenceService']);

const ready = (message: string): Readiness => ({ state: 'ready', message });
const waiting = (message: string): Readiness => ({ state: 'waiting', message });
const failed = (message: string): Readiness => ({ state: 'failed', message });

/** condition returns the status condition of the given type. */
export function condition(obj: unknown, type: string): Record<string, unknown> | undefined {
  return recordsAt(obj, 'status', 'conditions').find((c) => c['type'] === type);
}

function conditionText(c: Record<string, unknown> | undefined): string {
  if (c === undefined) return '';
  const reason = typeof c['reason'] === 'string' ? c['reason'] : '';
  const message = typeof c['message'] === 'string' ? c['message'] : '';
  return [reason, message].filter((s) => s !== '').join(': ');
}

/** assessReadiness decides whether one object is ready, still coming up, or failed for good. */
export function assessReadiness(obj: KubeObject, ctx: ReadinessContext = {}): Readiness {
  switch (obj.kind) {
    case 'Deployment':
      return deployment(obj);
    case 'StatefulSet':
      return statefulSet(obj);
    case 'DaemonSet':
      return daemonSet(obj);
    case 'Job':
      return job(obj);
    case 'PersistentVolumeClaim':
      return pvc(obj, ctx);
    case 'Pod':
      return pod(obj);
    case 'Namespace':
      return stringAt(obj, 'status', 'phase') === 'Terminating' ? waiting('namespace is being deleted') : ready('active');
    case 'CustomResourceDefinition': {
      const names = condition(obj, 'NamesAccepted');
      if (names?.['status'] === 'False') return failed(`names not accepted: ${conditionText(names)}`);
      return condition(obj, 'Established')?.['status'] === 'True' ? ready('established') : waiting('not established yet');
    }
    default:
      return generic(obj);
  }
}

/** observedGenerationLag says what to wait for while the controller has not seen the latest spec. */
function generationLag(obj: KubeObject): string | undefined {
  const generation = obj.metadata.generation;
  const observed = numberAt(obj, 'status', 'observedGeneration');
  if (observed === undefined) return 'waiting for the controller to observe it';
  if (generation !== undefined && observed < generation) return `waiting for the controller to observe generation ${generation} (seen ${observed})`;
  return undefined;
}

function deployment(obj: KubeObject): Readiness {
  const lag = generationLag(obj);
  if (lag !== undefined) return waiting(lag);
  const progressing = condition(obj, 'Progressing');
  if (progressing?.['reason'] === 'ProgressDeadlineExceeded') return failed(`rollout exceeded its progress deadline: ${conditionText(progressing)}`);
  const want = numberAt(obj, 'spec', 'replicas') ?? 1;
  const updated = numberAt(obj, 'status', 'updatedReplicas') ?? 0;
  const total = numberAt(obj, 'status', 'replicas') ?? 0;
  const available = numberAt(obj, 'status', 'availableReplicas') ?? 0;
  if (updated < want) return waiting(`${updated} of ${want} replicas updated`);
  if (total > updated) return waiting(`${total - updated} old replicas pending termination`);
  if (available < want) {
    const why = conditionText(condition(obj, 'Available'));
    return waiting(`${available} of ${want} replicas available${why === '' ? '' : ` (${why})`}`);
  }
  return ready(`${available} of ${want} replicas available`);
}

function statefulSet(obj: KubeObject): Readiness {
  const lag = generationLag(obj);
  if (lag !== undefined) return waiting(lag);
  const want = numberAt(obj, 'spec', 'replicas') ?? 1;
  const readyReplicas = numberAt(obj, 'status', 'readyReplicas') ?? 0;
  if (stringAt(obj, 'spec', 'updateStrategy', 'type') !== 'OnDelete') {
    const updated = numberAt(obj, 'status', 'updatedReplicas');
    if (updated !== undefined && updated < want) return waiting(`${updated} of ${want} pods updated`);
    const current = stringAt(obj, 'status', 'currentRevision');
    const update = stringAt(obj, 'status', 'updateRevision');
    if (current !== undefined && update !== undefined && current !== update && readyReplicas >= want) {
      return waiting(`rolling update to revision ${update} in progress`);
    }
  }
  if (readyReplicas < want) return waiting(`${readyReplicas} of ${want} pods ready`);
  return ready(`${readyReplicas} of ${want} pods ready`);
}

function daemonSet(obj: KubeObject): Readiness {
  const lag = generationLag(obj);
  if (lag !== undefined) return waiting(lag);
  const desired = numberAt(obj, 'status', 'desiredNumberScheduled');
  if (desired === undefined) return waiting('no nodes scheduled yet');
  const updated = numberAt(obj, 'status', 'updatedNumberScheduled') ?? desired;
  const readyPods = numberAt(obj, 'status', 'numberReady') ?? 0;
  if (updated < desired) return waiting(`${updated} of ${desired} pods updated`);
  if (readyPods < desired) return waiting(`${readyPods} of ${desired} pods ready`);
  return ready(`${readyPods} of ${desired} pods ready`);
}

function job(obj: KubeObject): Readiness {
  for (const type of ['Failed', 'FailureTarget']) {
    const c = condition(obj, type);
    if (c?.['status'] === 'True') return failed(`job failed: ${conditionText(c) || 'Failed'}`);
  }
  if (condition(obj, 'Complete')?.['status'] === 'True') return ready('complete');
  const completions = numberAt(obj, 'spec', 'completions') ?? 1;
  const succeeded = numberAt(obj, 'status', 'succeeded') ?? 0;
  if (succeeded >= completions) return ready(`${succeeded} succeeded`);
  const active = numberAt(obj, 'status', 'active') ?? 0;
  const failedPods = numberAt(obj, 'status', 'failed') ?? 0;
  return waiting(`${active} active, ${succeeded} of ${completions} succeeded${failedPods > 0 ? `, ${failedPods} failed` : ''}`);
}

/** pvcStorageClassToCheck returns the StorageClass a pending PVC names, which decides whether Pending is fine. */
export function pvcStorageClassToCheck(obj: KubeObject): string | undefined {
  if (obj.kind !== 'PersistentVolumeClaim' || stringAt(obj, 'status', 'phase') === 'Bound') return undefined;
  return stringAt(obj, 'spec', 'storageClassName');
}

function pvc(obj: KubeObject, ctx: ReadinessContext): Readiness {
  const phase = stringAt(obj, 'status', 'phase') ?? 'Pending';
  if (phase === 'Bound') return ready('bound');
  if (phase === 'Lost') return failed('its volume is lost');
  if (stringAt(ctx.storageClass, 'volumeBindingMode') === 'WaitForFirstConsumer') {
    return ready(`pending until a pod uses it (StorageClass ${ctx.storageClass?.metadata.name} binds on first consumer)`);
  }
  return waiting(`${phase}, waiting for a volume to be bound`);
}

function pod(obj: KubeObject): Readiness {
  const phase = stringAt(obj, 'status', 'phase') ?? 'Pending';
  if (phase === 'Succeeded') return ready('succeeded');
  if (phase === 'Failed') return failed(describePodProblems([obj]) ?? `pod failed${stringAt(obj, 'status', 'reason') === undefined ? '' : `: ${stringAt(obj, 'status', 'reason')}`}`);
  if (condition(obj, 'Ready')?.['status'] === 'True') return ready('running and ready');
  return waiting(describePodProblems([obj]) ?? `${phase}${phase === 'Running' ? ', not ready' : ''}`);
}

function generic(obj: KubeObject): Readiness {
  const readyCondition = condition(obj, 'Ready');
  if (readyCondition === undefined) {
    return READY_CONDITION_KINDS.has(obj.kind) ? waiting('no Ready condition yet') : ready('nothing to wait for');
  }
  const generation = obj.metadata.generation;
  const observed = numberAt(obj, 'status', 'observedGeneration');
  if (generation !== undefined && observed !== undefined && observed < generation) return waiting(`waiting for the controller to observe generation ${generation}`);
  if (readyCondition['status'] === 'True') return ready('Ready');
  const why = conditionText(readyCondition);
  return waiting(`Ready is ${String(readyCondition['status'])}${why === '' ? '' : `: ${why}`}`);
}

/** Container waiting reasons that are part of a normal start, not worth reporting. */
const NORMAL_WAITING = new Set(['ContainerCreating', 'PodInitializing']);

/**
 * describePodProblems explains why pods are not running: unschedulable, an image that cannot be pulled, a crash
 * loop, a container that exited non-zero. Undefined when none of the pods shows a problem.
 */
export function describePodProblems(pods: readonly KubeObject[]): string | undefined {
  const problems: string[] = [];
  for (const p of pods) {
    const name = `pod ${p.metadata.name}`;
    const scheduled = condition(p, 'PodScheduled');
    if (scheduled?.['status'] === 'False') problems.push(`${name} is not scheduled: ${conditionText(scheduled)}`);
    const statuses = [...recordsAt(p, 'status', 'initContainerStatuses'), ...recordsAt(p, 'status', 'containerStatuses')];
    for (const cs of statuses) {
      const container = `${name} container ${String(cs['name'])}`;
      const w = at(cs, 'state', 'waiting');
      const t = at(cs, 'state', 'terminated') ?? at(cs, 'lastState', 'terminated');
      if (isRecord(w) && typeof w['reason'] === 'string' && !NORMAL_WAITING.has(w['reason'])) {
        problems.push(`${container}: ${conditionText(w)}`);
      } else if (isRecord(t) && typeof t['exitCode'] === 'number' && t['exitCode'] !== 0) {
        const message = typeof t['message'] === 'string' && t['message'] !== '' ? `: ${t['message']}` : '';
        problems.push(`${container} terminated: ${String(t['reason'] ?? 'Error')} (exit code ${t['exitCode']})${message}`);
      }
    }
    if (stringAt(p, 'status', 'phase') === 'Failed' && stringAt(p, 'status', 'reason') !== undefined) {
      problems.push(`${name} failed: ${conditionText(at(p, 'status') as Record<string, unknown>)}`);
    }
  }
  return problems.length === 0 ? undefined : problems.slice(0, 3).join('; ') + (problems.length > 3 ? `; and ${problems.length - 3} more` : '');
}

/** podSelectorOf returns the label selector of a workload's pods (`a=b,c=d`), for explaining why it is not ready. */
export function podSelectorOf(obj: KubeObject): string | undefined {
  if (obj.kind === 'Job') {
    const uid = obj.metadata.uid;
    return uid === undefined ? `job-name=${obj.metadata.name}` : `controller-uid=${uid}`;
  }
  if (!['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet'].includes(obj.kind)) return undefined;
  const labels = at(obj, 'spec', 'selector', 'matchLabels');
  if (!isRecord(labels)) return undefined;
  const parts = Object.entries(labels).filter((e): e is [string, string] => typeof e[1] === 'string').map(([k, v]) => `${k}=${v}`);
  return parts.length === 0 ? undefined : parts.join(',');
}
