import { afterEach } from 'vitest';
import type { ProgressEvent } from '../../src/progress/events.js';
import { connectCluster } from '../../src/k8s/connect.js';
import type { Cluster } from '../../src/k8s/cluster.types.js';
import type { KubeObject } from '../../src/k8s/object.js';
import { startK8sEmulator, writeKubeconfig, type RunningEmulator, type StartOptions } from '../support/k8s-emulator.js';
import { useTempDirs } from '../support/temp-dir.js';

/** EmulatedCluster is a started emulator and a Cluster connected to it through a kubeconfig. */
export interface EmulatedCluster {
  running: RunningEmulator;
  cluster: Cluster;
  kubeconfig: string;
  dir: string;
  events: ProgressEvent[];
}

/** useEmulatedCluster returns a factory of emulated clusters, stopped after each test. */
export function useEmulatedCluster(): (options?: StartOptions & { namespace?: string }) => Promise<EmulatedCluster> {
  const tempDir = useTempDirs();
  const running: RunningEmulator[] = [];
  afterEach(async () => {
    await Promise.all(running.splice(0).map((r) => r.stop()));
  });
  return async (options = {}) => {
    const dir = await tempDir();
    const r = await startK8sEmulator(options);
    running.push(r);
    const kubeconfig = await writeKubeconfig(dir, r, options.namespace === undefined ? {} : { namespace: options.namespace });
    return { running: r, cluster: connectCluster({ kubeconfig }), kubeconfig, dir, events: [] };
  };
}

/** Builders: minimal valid objects with overridable parts. */
export const aNamespace = (name = 'ml'): KubeObject => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });

export const aConfigMap = (name = 'settings', namespace = 'ml', data: Record<string, string> = { a: '1' }): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace },
  data,
});

export function aDeployment(name = 'web', namespace = 'ml', opts: { replicas?: number; image?: string | null; labels?: Record<string, string> } = {}): KubeObject {
  const container: Record<string, unknown> = { name: 'main' };
  if (opts.image !== null) container['image'] = opts.image ?? 'registry.local/vllm@sha256:' + 'a'.repeat(64);
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace, ...(opts.labels === undefined ? {} : { labels: opts.labels }) },
    spec: {
      replicas: opts.replicas ?? 1,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [container] } },
    },
  };
}

export function aStatefulSet(name = 'db', namespace = 'ml'): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name, namespace },
    spec: { replicas: 2, serviceName: name, selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'db', image: 'db:1' }] } } },
  };
}

export function aDaemonSet(name = 'prepull', namespace = 'ml'): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name, namespace },
    spec: { selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'pull', image: 'img:1' }] } } },
  };
}

export function aJob(name = 'pull', namespace = 'ml'): KubeObject {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name, namespace },
    spec: { backoffLimit: 2, template: { spec: { restartPolicy: 'Never', containers: [{ name: 'pull', image: 'busybox:1.36', command: ['sh', '-c', 'true'] }] } } },
  };
}

export function aPvc(name = 'models', namespace = 'ml', storageClassName?: string): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name, namespace },
    spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '10Gi' } }, ...(storageClassName === undefined ? {} : { storageClassName }) },
  };
}

export function aPod(name = 'loader', namespace = 'ml'): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace },
    spec: { restartPolicy: 'Never', containers: [{ name: 'loader', image: 'busybox:1.36', command: ['sleep', 'infinity'], volumeMounts: [{ name: 'models', mountPath: '/models' }] }], volumes: [{ name: 'models', persistentVolumeClaim: { claimName: 'models' } }] },
  };
}

export function anInferenceService(name = 'llm', namespace = 'ml'): KubeObject {
  return {
    apiVersion: 'serving.kserve.io/v1beta1',
    kind: 'InferenceService',
    metadata: { name, namespace },
    spec: { predictor: { model: { modelFormat: { name: 'huggingface' }, storageUri: 'oci://registry.local/models/llm:1' } } },
  };
}
