/**
 * The emulator's stand-in for controllers and kubelets: the `status` an object would have, ready or not, and the
 * pods a failing workload would leave behind. Shapes follow the real controllers (v1.31): Deployment conditions
 * Available / Progressing, Job conditions Complete / Failed, pod container states, PVC phases, KServe's Ready
 * condition, a CRD's Established condition. Pure: the emulator decides `ready` and stores the result.
 */
import { getAt, isObj, type Obj } from './k8s-emulator-ssa.js';

/** Behavior is how one object comes up in the emulator. */
export interface Behavior {
  /** Ready once the object has been read this many times since its last spec change. Default: the emulator's. */
  readyAfterReads?: number;
  /** Never becomes ready (times out). */
  never?: boolean;
  /**
   * Fails: a Job fails for good (its pod terminated with this reason), a Pod or workload's pods wait with this
   * reason (e.g. ImagePullBackOff), an InferenceService reports Ready=False with it.
   */
  fail?: { reason: string; message: string };
}

/** SimInput is what the simulation of one object needs. */
export interface SimInput {
  ready: boolean;
  fail?: { reason: string; message: string };
  /** Nodes a DaemonSet is scheduled to. */
  nodes: number;
  /** The StorageClass a PVC names, if it exists. */
  storageClass?: Obj;
  now: string;
}

/** SimOutput is the status to store, and pods to create (name, labels, status), for failing workloads. */
export interface SimOutput {
  status?: Obj;
  pods: { name: string; labels: Record<string, string>; container: string; status: Obj }[];
}

const cond = (type: string, status: 'True' | 'False' | 'Unknown', reason: string, message: string, now: string): Obj => ({
  type,
  status,
  reason,
  message,
  lastTransitionTime: now,
});

/** simulate returns the status of `obj` and the pods to create; `status` undefined leaves the object alone. */
export function simulate(obj: Obj, input: SimInput): SimOutput {
  const { ready, fail, now } = input;
  const generation = Number(getAt(obj, ['metadata', 'generation']) ?? 1);
  const name = String(getAt(obj, ['metadata', 'name']));
  const replicas = Number(getAt(obj, ['spec', 'replicas']) ?? 1);
  const templateLabels = (): Record<string, string> => {
    const l = getAt(obj, ['spec', 'template', 'metadata', 'labels']);
    return isObj(l) ? (Object.fromEntries(Object.entries(l).map(([k, v]) => [k, String(v)])) as Record<string, string>) : {};
  };
  const containers = getAt(obj, ['spec', 'template', 'spec', 'containers']) ?? getAt(obj, ['spec', 'containers']);
  const first: unknown = Array.isArray(containers) ? containers[0] : undefined;
  const firstContainer = isObj(first) && typeof first['name'] === 'string' ? first['name'] : 'main';
  const waitingPod = (): SimOutput['pods'] =>
    fail === undefined
      ? []
      : [{ name: `${name}-sim0`, labels: templateLabels(), container: firstContainer, status: podStatus(false, firstContainer, fail, now) }];

  switch (obj['kind']) {
    case 'Deployment':
      return {
        status: ready
          ? {
              observedGeneration: generation,
              replicas,
              updatedReplicas: replicas,
              readyReplicas: replicas,
              availableReplicas: replicas,
              conditions: [
                cond('Available', 'True', 'MinimumReplicasAvailable', 'Deployment has minimum availability.', now),
                cond('Progressing', 'True', 'NewReplicaSetAvailable', `ReplicaSet "${name}-sim" has successfully progressed.`, now),
              ],
            }
          : {
              observedGeneration: generation,
              replicas,
              updatedReplicas: replicas,
              unavailableReplicas: replicas,
              conditions: [
                cond('Available', 'False', 'MinimumReplicasUnavailable', 'Deployment does not have minimum availability.', now),
                cond('Progressing', 'True', 'ReplicaSetUpdated', `ReplicaSet "${name}-sim" is progressing.`, now),
              ],
            },
        pods: ready ? [] : waitingPod(),
      };
    case 'StatefulSet':
      return {
        status: {
          observedGeneration: generation,
          replicas,
          readyReplicas: ready ? replicas : 0,
          currentReplicas: replicas,
          updatedReplicas: replicas,
          availableReplicas: ready ? replicas : 0,
          currentRevision: `${name}-sim`,
          updateRevision: `${name}-sim`,
        },
        pods: ready ? [] : waitingPod(),
      };
    case 'DaemonSet':
      return {
        status: {
          observedGeneration: generation,
          desiredNumberScheduled: input.nodes,
          currentNumberScheduled: input.nodes,
          updatedNumberScheduled: input.nodes,
          numberReady: ready ? input.nodes : 0,
          numberAvailable: ready ? input.nodes : 0,
          ...(ready ? {} : { numberUnavailable: input.nodes }),
          numberMisscheduled: 0,
        },
        pods: ready ? [] : waitingPod(),
      };
    case 'Job': {
      if (fail !== undefined) {
        const backoffLimit = Number(getAt(obj, ['spec', 'backoffLimit']) ?? 6);
        return {
          status: {
            failed: backoffLimit + 1,
            startTime: now,
            conditions: [
              cond('FailureTarget', 'True', 'BackoffLimitExceeded', 'Job has reached the specified backoff limit', now),
              cond('Failed', 'True', 'BackoffLimitExceeded', 'Job has reached the specified backoff limit', now),
            ],
          },
          pods: [
            {
              name: `${name}-sim0`,
              labels: { 'job-name': name, 'batch.kubernetes.io/job-name': name },
              container: firstContainer,
              status: {
                phase: 'Failed',
                containerStatuses: [{ name: firstContainer, ready: false, restartCount: 0, state: { terminated: { exitCode: 1, reason: fail.reason, message: fail.message } } }],
              },
            },
          ],
        };
      }
      return {
        status: ready
          ? { succeeded: 1, startTime: now, completionTime: now, conditions: [cond('SuccessCriteriaMet', 'True', 'CompletionsReached', 'Reached expected number of succeeded pods', now), cond('Complete', 'True', 'CompletionsReached', 'Reached expected number of succeeded pods', now)] }
          : { active: 1, startTime: now },
        pods: [],
      };
    }
    case 'Pod':
      return { status: podStatus(ready, firstContainer, fail, now), pods: [] };
    case 'PersistentVolumeClaim': {
      const waitForConsumer = getAt(input.storageClass, ['volumeBindingMode']) === 'WaitForFirstConsumer';
      return { status: ready && !waitForConsumer ? { phase: 'Bound', accessModes: getAt(obj, ['spec', 'accessModes']), capacity: { storage: getAt(obj, ['spec', 'resources', 'requests', 'storage']) } } : { phase: 'Pending' }, pods: [] };
    }
    case 'Namespace':
      return { status: { phase: 'Active' }, pods: [] };
    case 'CustomResourceDefinition':
      return {
        status: {
          conditions: [cond('NamesAccepted', 'True', 'NoConflicts', 'no conflicts found', now), cond('Established', 'True', 'InitialNamesAccepted', 'the initial names have been accepted', now)],
          acceptedNames: getAt(obj, ['spec', 'names']),
          storedVersions: (Array.isArray(getAt(obj, ['spec', 'versions'])) ? (getAt(obj, ['spec', 'versions']) as unknown[]) : []).filter(isObj).filter((v) => v['storage'] === true).map((v) => String(v['name'])),
        },
        pods: [],
      };
    case 'InferenceService':
      return {
        status: {
          observedGeneration: generation,
          conditions: [
            fail !== undefined
              ? cond('Ready', 'False', fail.reason, fail.message, now)
              : ready
                ? cond('Ready', 'True', '', '', now)
                : cond('Ready', 'Unknown', 'PredictorNotReady', 'Predictor is not ready', now),
          ],
          ...(ready && fail === undefined ? { url: `http://${name}.${String(getAt(obj, ['metadata', 'namespace']))}.example.com` } : {}),
        },
        pods: [],
      };
    default:
      return { pods: [] };
  }
}

function podStatus(ready: boolean, container: string, fail: { reason: string; message: string } | undefined, now: string): Obj {
  if (ready && fail === undefined) {
    return {
      phase: 'Running',
      conditions: [cond('PodScheduled', 'True', '', '', now), cond('Initialized', 'True', '', '', now), cond('ContainersReady', 'True', '', '', now), cond('Ready', 'True', '', '', now)],
      containerStatuses: [{ name: container, ready: true, started: true, restartCount: 0, state: { running: { startedAt: now } } }],
      startTime: now,
    };
  }
  const waiting = fail ?? { reason: 'ContainerCreating', message: '' };
  return {
    phase: 'Pending',
    conditions: [
      cond('PodScheduled', 'True', '', '', now),
      cond('Ready', 'False', 'ContainersNotReady', `containers with unready status: [${container}]`, now),
    ],
    containerStatuses: [{ name: container, ready: false, started: false, restartCount: 0, state: { waiting } }],
  };
}
