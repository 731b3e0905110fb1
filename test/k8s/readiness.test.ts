import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../src/k8s/object.js';
import { assessReadiness, describePodProblems, podSelectorOf } from '../../src/k8s/readiness.js';

const obj = (kind: string, apiVersion: string, rest: Record<string, unknown>, generation = 1): KubeObject => ({ apiVersion, kind, metadata: { name: 'x', namespace: 'ml', generation, uid: 'u-1' }, ...rest });

describe('assessReadiness', () => {
  describe('Deployment', () => {
    const deploy = (status: Record<string, unknown>, generation = 2): KubeObject => obj('Deployment', 'apps/v1', { spec: { replicas: 2, selector: { matchLabels: { app: 'x' } } }, status }, generation);

    it('waits until the controller has observed the latest generation', () => {
      expect(assessReadiness(deploy({ observedGeneration: 1, updatedReplicas: 2, replicas: 2, availableReplicas: 2 }))).toMatchObject({ state: 'waiting', message: expect.stringContaining('generation 2') });
    });
    it('waits for available replicas', () => {
      expect(assessReadiness(deploy({ observedGeneration: 2, updatedReplicas: 2, replicas: 2, availableReplicas: 1 })).state).toBe('waiting');
    });
    it('waits while old replicas terminate', () => {
      expect(assessReadiness(deploy({ observedGeneration: 2, updatedReplicas: 2, replicas: 3, availableReplicas: 2 })).message).toContain('old replicas');
    });
    it('is ready with all replicas available', () => {
      expect(assessReadiness(deploy({ observedGeneration: 2, updatedReplicas: 2, replicas: 2, availableReplicas: 2 })).state).toBe('ready');
    });
    it('fails when the progress deadline is exceeded', () => {
      const d = deploy({ observedGeneration: 2, conditions: [{ type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded', message: 'ReplicaSet "x-1" has timed out progressing.' }] });
      expect(assessReadiness(d)).toMatchObject({ state: 'failed', message: expect.stringContaining('timed out progressing') });
    });
  });

  it('StatefulSet: ready replicas and a finished rolling update', () => {
    const sts = (status: Record<string, unknown>): KubeObject => obj('StatefulSet', 'apps/v1', { spec: { replicas: 2 }, status: { observedGeneration: 1, ...status } });
    expect(assessReadiness(sts({ readyReplicas: 1, updatedReplicas: 2 })).state).toBe('waiting');
    expect(assessReadiness(sts({ readyReplicas: 2, updatedReplicas: 2, currentRevision: 'a', updateRevision: 'b' })).state).toBe('waiting');
    expect(assessReadiness(sts({ readyReplicas: 2, updatedReplicas: 2, currentRevision: 'b', updateRevision: 'b' })).state).toBe('ready');
  });

  it('DaemonSet: numberReady reaches desiredNumberScheduled', () => {
    const ds = (status: Record<string, unknown>): KubeObject => obj('DaemonSet', 'apps/v1', { status: { observedGeneration: 1, ...status } });
    expect(assessReadiness(ds({})).state).toBe('waiting');
    expect(assessReadiness(ds({ desiredNumberScheduled: 3, updatedNumberScheduled: 3, numberReady: 2 })).message).toBe('2 of 3 pods ready');
    expect(assessReadiness(ds({ desiredNumberScheduled: 3, updatedNumberScheduled: 3, numberReady: 3 })).state).toBe('ready');
  });

  it('Job: complete, still running, or failed for good', () => {
    expect(assessReadiness(obj('Job', 'batch/v1', { status: { active: 1 } })).state).toBe('waiting');
    expect(assessReadiness(obj('Job', 'batch/v1', { status: { succeeded: 1 } })).state).toBe('ready');
    const failed = obj('Job', 'batch/v1', { status: { conditions: [{ type: 'Failed', status: 'True', reason: 'DeadlineExceeded', message: 'Job was active longer than specified deadline' }] } });
    expect(assessReadiness(failed)).toEqual({ state: 'failed', message: 'job failed: DeadlineExceeded: Job was active longer than specified deadline' });
  });

  it('PVC: Bound, or Pending under a WaitForFirstConsumer StorageClass', () => {
    const pvc = obj('PersistentVolumeClaim', 'v1', { spec: { storageClassName: 'local' }, status: { phase: 'Pending' } });
    const sc = (mode: string): KubeObject => ({ apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', metadata: { name: 'local' }, volumeBindingMode: mode });
    expect(assessReadiness(pvc).state).toBe('waiting');
    expect(assessReadiness(pvc, { storageClass: sc('Immediate') }).state).toBe('waiting');
    expect(assessReadiness(pvc, { storageClass: sc('WaitForFirstConsumer') }).state).toBe('ready');
    expect(assessReadiness(obj('PersistentVolumeClaim', 'v1', { status: { phase: 'Bound' } })).state).toBe('ready');
    expect(assessReadiness(obj('PersistentVolumeClaim', 'v1', { status: { phase: 'Lost' } })).state).toBe('failed');
  });

  it('Pod: the Ready condition; a failed pod names its container', () => {
    expect(assessReadiness(obj('Pod', 'v1', { status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] } })).state).toBe('ready');
    const crashed = obj('Pod', 'v1', { status: { phase: 'Failed', containerStatuses: [{ name: 'loader', state: { terminated: { exitCode: 2, reason: 'Error', message: 'tar: short read' } } }] } });
    expect(assessReadiness(crashed)).toEqual({ state: 'failed', message: 'pod x container loader terminated: Error (exit code 2): tar: short read' });
    const pulling = obj('Pod', 'v1', { status: { phase: 'Pending', containerStatuses: [{ name: 'loader', state: { waiting: { reason: 'ContainerCreating' } } }] } });
    expect(assessReadiness(pulling)).toEqual({ state: 'waiting', message: 'Pending' });
  });

  it('a Ready condition decides for any other kind (KServe InferenceService)', () => {
    const isvc = (conditions?: unknown[]): KubeObject => obj('InferenceService', 'serving.kserve.io/v1beta1', conditions === undefined ? {} : { status: { conditions } });
    expect(assessReadiness(isvc()).state).toBe('waiting');
    expect(assessReadiness(isvc([{ type: 'Ready', status: 'False', reason: 'RevisionMissing', message: 'no revision' }])).message).toBe('Ready is False: RevisionMissing: no revision');
    expect(assessReadiness(isvc([{ type: 'Ready', status: 'True' }])).state).toBe('ready');
    expect(assessReadiness(obj('ConfigMap', 'v1', { data: {} })).state).toBe('ready');
  });
});

describe('describePodProblems', () => {
  it('reports unschedulable pods and image pull errors, not normal start-up', () => {
    const pod = (name: string, status: Record<string, unknown>): KubeObject => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name }, status });
    expect(
      describePodProblems([
        pod('a', { conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: '0/3 nodes are available: 3 Insufficient nvidia.com/gpu.' }] }),
        pod('b', { containerStatuses: [{ name: 'vllm', state: { waiting: { reason: 'ImagePullBackOff', message: 'Back-off pulling image' } } }] }),
        pod('c', { containerStatuses: [{ name: 'vllm', state: { waiting: { reason: 'ContainerCreating' } } }] }),
      ]),
    ).toBe('pod a is not scheduled: Unschedulable: 0/3 nodes are available: 3 Insufficient nvidia.com/gpu.; pod b container vllm: ImagePullBackOff: Back-off pulling image');
  });
});

describe('podSelectorOf', () => {
  it("uses a workload's matchLabels and a Job's controller uid", () => {
    expect(podSelectorOf(obj('Deployment', 'apps/v1', { spec: { selector: { matchLabels: { app: 'x', tier: 'llm' } } } }))).toBe('app=x,tier=llm');
    expect(podSelectorOf(obj('Job', 'batch/v1', {}))).toBe('controller-uid=u-1');
    expect(podSelectorOf(obj('ConfigMap', 'v1', {}))).toBeUndefined();
  });
});
