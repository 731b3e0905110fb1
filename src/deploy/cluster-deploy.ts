import type { Cluster } from '../k8s/cluster.types.js';
import { refOf } from '../k8s/object.js';
import type { PvcLoader } from '../materialize/pvc-loader.js';
import type { ProgressSink } from '../progress/events.js';
import { AirbundleError } from '../errors.js';
import { formatBytes } from '../util/bytes.js';
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

/** Room for the probe's output: one line of about 70 bytes per staged content. */
const PROBE_OUTPUT_BYTES = 16 * 1024 * 1024;

/**
 * streamVolume fills one claim through a short-lived loader pod: a probe says whether its `.done` already matches
 * (nothing is sent) and which contents an interrupted run left staged; the stream then carries only the rest.
 */
async function streamVolume(cluster: Cluster, s: StreamVolume, options: { bundle: string; namespace: string; onEvent: ProgressSink; signal?: AbortSignal }): Promise<void> {
  const { onEvent } = options;
  const feed = s.loader.feed;
  if (feed === undefined) throw new AirbundleError('INTERNAL', `volume ${s.claim}: a ${s.loader.transport} loader cannot be fed over exec`);
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
  const where = `pod ${options.namespace}/${name}`;
  await cluster.apply([pod], { fieldManager: 'airbundle', onEvent, ...sig });
  try {
    await cluster.waitPodRunning(options.namespace, name, { onEvent, ...sig });
    const probe = await cluster.exec(options.namespace, name, 'loader', ['sh', '-c', feed.probe, 'sh', MOUNT, s.loader.done.trim()], { ...sig, maxOutputBytes: PROBE_OUTPUT_BYTES });
    if (probe.exitCode !== 0) {
      throw new AirbundleError('TARGET_WRITE', `checking volume ${s.claim} failed in ${where} (exit ${probe.exitCode}): ${lastLines(probe.stderr)}`, {
        hint: 'check that the loader image has a busybox-like sh, sha256sum and tar, and that the volume is writable',
      });
    }
    const send = await feed.plan(probe.stdout, options.signal);
    if (send.complete) {
      onEvent({ type: 'info', phase: 'deploy', message: `volume ${s.claim} already holds the model; nothing to send` });
      return;
    }
    const resumed = send.sends.filter((c) => c.offset > 0).length;
    const kept = send.staged.length > 0 || resumed > 0 ? `; kept from an interrupted run: ${send.staged.length} files whole${resumed > 0 ? `, ${resumed} in part` : ''}` : '';
    onEvent({ type: 'info', phase: 'deploy', message: `filling volume ${s.claim} from the bundle: sending ${send.sends.length} files, ${formatBytes(send.bytes)}${kept}` });
    const title = `Stream model files into volume ${s.claim}`;
    onEvent({ type: 'phase-start', phase: 'stream', title, total: send.bytes });
    for (const f of send.staged) onEvent({ type: 'item-end', phase: 'stream', item: f.path, skipped: true });
    const stdin = feed.open(send, {
      ...sig,
      onBytes: (c, done) => {
        const total = c.file.size - c.offset;
        onEvent({ type: 'bytes', phase: 'stream', item: c.file.path, done, total });
        if (done === total) onEvent({ type: 'item-end', phase: 'stream', item: c.file.path });
      },
    });
    const r = await cluster.exec(options.namespace, name, 'loader', ['sh', '-c', s.loader.script, 'sh', MOUNT], { ...sig, stdin });
    if (r.exitCode !== 0) {
      throw new AirbundleError('TARGET_WRITE', `filling volume ${s.claim} failed in ${where} (exit ${r.exitCode}): ${lastLines(r.stderr)}`, {
        hint: 'run deploy again: what the volume received whole is kept, and only the rest is sent',
      });
    }
    onEvent({ type: 'phase-end', phase: 'stream', title });
  } finally {
    await cluster.delete(refOf(pod), sig).catch(() => false);
  }
}

function lastLines(text: string): string {
  return text.trim().split('\n').slice(-3).join(' ');
}
