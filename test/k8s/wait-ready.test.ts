import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../src/k8s/object.js';
import type { ProgressEvent } from '../../src/progress/events.js';
import { expectCode } from '../support/matchers.js';
import { aDaemonSet, aDeployment, aJob, aNamespace, anInferenceService, aPod, aPvc, aStatefulSet, useEmulatedCluster } from './fixture.js';

const emulated = useEmulatedCluster();
const fast = { pollMs: 5, maxPollMs: 20 };
const infoMessages = (events: ProgressEvent[]): string[] => events.flatMap((e) => (e.type === 'info' ? [e.message] : []));

const waitForFirstConsumer: KubeObject = {
  apiVersion: 'storage.k8s.io/v1',
  kind: 'StorageClass',
  metadata: { name: 'local-wffc' },
  provisioner: 'rancher.io/local-path',
  volumeBindingMode: 'WaitForFirstConsumer',
};

describe('Cluster.waitReady', () => {
  describe('when everything comes up', () => {
    it('waits for each kind by its own rule and reports progress', async () => {
      const { cluster, events } = await emulated({ readyAfterReads: 3 });
      const applied = await cluster.apply([
        aNamespace(),
        waitForFirstConsumer,
        aDeployment(),
        aStatefulSet(),
        aDaemonSet(),
        aJob(),
        aPvc('models'),
        aPvc('cache', 'ml', 'local-wffc'),
        aPod(),
        anInferenceService(),
      ]);
      await cluster.waitReady(
        applied.map((r) => r.ref),
        { ...fast, timeoutMs: 10_000, onEvent: (e) => events.push(e) },
      );
      const messages = infoMessages(events);
      expect(messages).toContain('waiting for Deployment ml/web: 0 of 1 replicas available (MinimumReplicasUnavailable: Deployment does not have minimum availability.)');
      expect(messages).toContain('Deployment ml/web is ready: 1 of 1 replicas available');
      expect(messages).toContain('StatefulSet ml/db is ready: 2 of 2 pods ready');
      expect(messages).toContain('DaemonSet ml/prepull is ready: 2 of 2 pods ready');
      expect(messages).toContain('Job ml/pull is ready: complete');
      expect(messages).toContain('PersistentVolumeClaim ml/models is ready: bound');
      expect(messages.some((m) => m.startsWith('PersistentVolumeClaim ml/cache is ready: pending until a pod uses it'))).toBe(true);
      expect(messages).toContain('Pod ml/loader is ready: running and ready');
      expect(messages).toContain('InferenceService ml/llm is ready: Ready');
    });
  });

  describe('when something does not come up in time', () => {
    it('fails with K8S_TIMEOUT listing what is not ready and why', async () => {
      const { cluster, running } = await emulated();
      running.emulator.setBehavior('Deployment', 'ml', 'web', { fail: { reason: 'ImagePullBackOff', message: 'Back-off pulling image "registry.local/vllm"' } });
      running.emulator.setBehavior('PersistentVolumeClaim', 'ml', 'models', { never: true });
      running.emulator.setBehavior('InferenceService', 'ml', 'llm', { fail: { reason: 'PredictorNotReady', message: 'no runtime found' } });
      const applied = await cluster.apply([aNamespace(), aDeployment(), aPvc('models'), aJob(), anInferenceService()]);
      const err = await expectCode(cluster.waitReady(applied.map((r) => r.ref), { ...fast, timeoutMs: 300 }), 'K8S_TIMEOUT');
      expect(err.message).toMatch(/timed out after \d+s waiting for 3 of 5 objects/);
      expect(err.message).toContain('Deployment ml/web: 0 of 1 replicas available');
      expect(err.message).toContain('pod web-sim0 container main: ImagePullBackOff: Back-off pulling image "registry.local/vllm"');
      expect(err.message).toContain('PersistentVolumeClaim ml/models: Pending, waiting for a volume to be bound');
      expect(err.message).toContain('InferenceService ml/llm: Ready is False: PredictorNotReady: no runtime found');
      expect(err.message).not.toContain('Job');
      expect(err.details?.['notReady']).toHaveLength(3);
    });
  });

  describe('when a Job fails', () => {
    it("fails with K8S_FAILED naming the Job and its pod's reason", async () => {
      const { cluster, running } = await emulated({ readyAfterReads: 100 });
      running.emulator.setBehavior('Job', 'ml', 'pull', { fail: { reason: 'Error', message: 'wget: server returned error: HTTP/1.1 404 Not Found' } });
      const applied = await cluster.apply([aNamespace(), aJob(), aDeployment()]);
      const err = await expectCode(cluster.waitReady(applied.map((r) => r.ref), { ...fast, timeoutMs: 5_000 }), 'K8S_FAILED');
      expect(err.message).toContain('Job ml/pull failed: job failed: BackoffLimitExceeded: Job has reached the specified backoff limit');
      expect(err.message).toContain('pod pull-sim0 container pull terminated: Error (exit code 1): wget: server returned error: HTTP/1.1 404 Not Found');
    });
  });

  describe('when aborted', () => {
    it('stops with ABORTED', async () => {
      const { cluster, running } = await emulated();
      running.emulator.setBehavior('Deployment', 'ml', 'web', { never: true });
      const applied = await cluster.apply([aNamespace(), aDeployment()]);
      const ac = new AbortController();
      setTimeout(() => ac.abort(), 50);
      await expectCode(cluster.waitReady(applied.map((r) => r.ref), { ...fast, timeoutMs: 10_000, signal: ac.signal }), 'ABORTED');
    });
  });

  describe('when an object does not exist', () => {
    it('waits for it to appear', async () => {
      const { cluster } = await emulated();
      await cluster.apply([aNamespace()]);
      const waiting = cluster.waitReady([{ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'ml', name: 'late' }], { ...fast, timeoutMs: 5_000 });
      setTimeout(() => void cluster.apply([{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'late', namespace: 'ml' } }]), 50);
      await waiting;
    });
  });
});

describe('Cluster.waitPodRunning', () => {
  it('returns the pod once it runs', async () => {
    const { cluster } = await emulated({ readyAfterReads: 2 });
    await cluster.apply([aNamespace(), aPod()]);
    const pod = await cluster.waitPodRunning('ml', 'loader', fast);
    expect((pod['status'] as { phase: string }).phase).toBe('Running');
  });

  it('times out naming why the pod is not running', async () => {
    const { cluster, running } = await emulated();
    running.emulator.setBehavior('Pod', 'ml', 'loader', { fail: { reason: 'ErrImagePull', message: 'registry.local/busybox: not found' } });
    await cluster.apply([aNamespace(), aPod()]);
    const err = await expectCode(cluster.waitPodRunning('ml', 'loader', { ...fast, timeoutMs: 100 }), 'K8S_TIMEOUT');
    expect(err.message).toContain('Pod ml/loader: pod loader container loader: ErrImagePull: registry.local/busybox: not found');
  });
});
