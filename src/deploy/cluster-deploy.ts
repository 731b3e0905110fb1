import type { Cluster } from '../k8s/cluster.types.js';
import { refOf } from '../k8s/object.js';
import type { PvcLoader } from '../materialize/pvc-loader.js';
import type { ProgressSink } from '../progress/events.js';
import { AirbundleError } from '../errors.js';
import { managedLabels, objectId, type KubeObject } from './kube-object.js';

/** StreamVolume is a volume filled from this machine through a loader pod. */
export interface StreamVolume {
  claim: string;
  loader: PvcLoader;
  /** In-cluster reference of the busybox-like loader image. */
  image: string;
}

const FIRST_KINDS = new Set(['Namespace', 'ServiceAccount', 'Secret', 'ConfigMap', 'PersistentVolumeClaim']);
const MOUNT = '/data';

/**
 * applyToCluster applies in two stages so that workloads start on filled volumes: first namespace, secrets,
 * claims and the fill Jobs (waited for), plus loader pods fed over exec for stream volumes; then everything else,
 * waited for until ready. Server-side apply makes every step idempotent; a filled volume is not filled again.
 */
export async function applyToCluster(
  cluster: Cluster,
  objects: KubeObject[],
  options: { bundle: string; namespace: string; streams: StreamVolume[]; onEvent: ProgressSink; signal?: AbortSignal },
): Promise<Array<{ id: string; action: string }>> {
  const { onEvent, signal } = options;
  const isFill = (o: KubeObject): boolean => o.metadata.labels?.['app.kubernetes.io/name'] === 'volume-fill';
  const first = objects.filter((o) => FIRST_KINDS.has(o.kind) || isFill(o));
  const rest = objects.filter((o) => !first.includes(o));
  const results: Array<{ id: string; action: string }> = [];
  const apply = async (list: KubeObject[]): Promise<void> => {
    for (const r of await cluster.apply(list, { fieldManager: 'airbundle', onEvent, ...(signal !== undefined ? { signal } : {}) })) {
      results.push({ id: objectId(r.object as KubeObject), action: r.action });
    }
  };
  await apply(first);
  for (const s of options.streams) await streamVolume(cluster, s, options);
  const jobs = first.filter((o) => o.kind === 'Job').map(refOf);
  if (jobs.length > 0) await cluster.waitReady(jobs, { onEvent, ...(signal !== undefined ? { signal } : {}) });
  await apply(rest);
  const waitFor = rest.filter((o) => ['Deployment', 'StatefulSet', 'DaemonSet', 'Job', 'InferenceService', 'Pod'].includes(o.kind)).map(refOf);
  if (waitFor.length > 0) await cluster.waitReady(waitFor, { onEvent, ...(signal !== undefined ? { signal } : {}) });
  return results;
}

/** streamVolume fills one claim through a short-lived loader pod, unless its `.done` marker already matches. */
async function streamVolume(cluster: Cluster, s: StreamVolume, options: { bundle: string; namespace: string; onEvent: ProgressSink; signal?: AbortSignal }): Promise<void> {
  const name = `${s.claim}-loader`;
  const pod: KubeObject = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: options.namespace, labels: managedLabels(options.bundle, 'volume-loader') },
    spec: {
      restartPolicy: 'Never',
      containers: [{ name: 'loader', image: s.image, command: ['sh', '-c', 'sleep 86400'], volumeMounts: [{ name: 'model', mountPath: MOUNT }] }],
      volumes: [{ name: 'model', persistentVolumeClaim: { claimName: s.claim } }],
    },
  };
  const sig = options.signal !== undefined ? { signal: options.signal } : {};
  await cluster.apply([pod], { fieldManager: 'airbundle', onEvent: options.onEvent, ...sig });
  try {
    await cluster.waitPodRunning(options.namespace, name, { onEvent: options.onEvent, ...sig });
    const current = await cluster.exec(options.namespace, name, 'loader', ['sh', '-c', `cat ${MOUNT}/.done 2>/dev/null || true`], sig);
    if (current.stdout === s.loader.done) {
      options.onEvent({ type: 'info', phase: 'deploy', message: `volume ${s.claim} already holds the model; nothing to send` });
      return;
    }
    options.onEvent({ type: 'info', phase: 'deploy', message: `filling volume ${s.claim} from the bundle` });
    const stdin = s.loader.openStdin?.(options.signal);
    const r = await cluster.exec(options.namespace, name, 'loader', ['sh', '-c', s.loader.script, 'sh', MOUNT], { ...sig, ...(stdin !== undefined ? { stdin } : {}) });
    if (r.exitCode !== 0) {
      throw new AirbundleError('TARGET_WRITE', `filling volume ${s.claim} failed in pod ${options.namespace}/${name} (exit ${r.exitCode}): ${r.stderr.trim().split('\n').slice(-3).join(' ')}`, {
        hint: 'run deploy again: files already verified on the volume are kept',
      });
    }
  } finally {
    await cluster.delete(refOf(pod), sig).catch(() => false);
  }
}
