/**
 * Waiting for objects to become ready: poll each object not yet ready, with a pause that grows by half each round
 * up to a ceiling, until all are ready, one has failed for good, or time runs out. Polling rather than a watch keeps
 * this to plain GETs, which every RBAC role that can apply can also do, and which survive proxies that cut
 * long-lived connections. What "ready" means lives in readiness.ts.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { AirbundleError } from '../errors.js';
import { noProgress, type ProgressSink } from '../progress/events.js';
import type { ObjectReader, WaitOptions } from './cluster.types.js';
import { formatRef, refOf, stringAt, type KubeObject, type ObjectRef } from './object.js';
import { assessReadiness, describePodProblems, podSelectorOf, pvcStorageClassToCheck, type Readiness } from './readiness.js';

const PHASE = 'wait';

interface Tracked {
  ref: ObjectRef;
  /** The object as last read, once it exists. */
  object?: KubeObject;
  verdict?: Readiness;
}

/** waitReady polls `refs` until every one is ready; a failed object or the timeout ends it with an error. */
export async function waitReady(reader: ObjectReader, refs: readonly ObjectRef[], options: WaitOptions = {}): Promise<void> {
  const onEvent = options.onEvent ?? noProgress;
  const storageClasses = new Map<string, Promise<KubeObject | undefined>>();
  const pending: Tracked[] = refs.map((ref) => ({ ref }));
  await poll(options, async () => {
    await Promise.all(
      pending.map(async (t) => {
        const obj = await reader.get(t.ref, { signal: options.signal });
        const verdict = obj === undefined ? { state: 'waiting' as const, message: 'not found' } : await assess(reader, obj, storageClasses, options.signal);
        if (obj !== undefined) t.object = obj;
        report(onEvent, t, verdict);
        t.verdict = verdict;
      }),
    );
    const failedOne = pending.find((t) => t.verdict?.state === 'failed');
    if (failedOne !== undefined) throw await failure(reader, failedOne, options.signal);
    for (let i = pending.length - 1; i >= 0; i--) if (pending[i]!.verdict?.state === 'ready') pending.splice(i, 1);
    return pending.length === 0;
  }, async (elapsedMs) => timeout(reader, pending, refs.length, elapsedMs, options.signal));
}

/** waitPodRunning polls a pod until its phase is Running; a pod that failed or already finished is an error. */
export async function waitPodRunning(reader: ObjectReader, namespace: string, name: string, options: WaitOptions = {}): Promise<KubeObject> {
  const onEvent = options.onEvent ?? noProgress;
  const t: Tracked = { ref: { apiVersion: 'v1', kind: 'Pod', namespace, name } };
  let running: KubeObject | undefined;
  await poll(options, async () => {
    const pod = await reader.get(t.ref, { signal: options.signal });
    const phase = pod === undefined ? undefined : stringAt(pod, 'status', 'phase');
    if (pod !== undefined) t.object = pod;
    if (phase === 'Running') {
      running = pod;
      report(onEvent, t, { state: 'ready', message: 'running' });
      return true;
    }
    const verdict: Readiness =
      pod === undefined
        ? { state: 'waiting', message: 'not found' }
        : phase === 'Succeeded'
          ? { state: 'failed', message: 'the pod has already finished (phase Succeeded)' }
          : assessReadiness(pod);
    report(onEvent, t, verdict);
    t.verdict = verdict;
    if (verdict.state === 'failed') throw await failure(reader, t, options.signal);
    return false;
  }, async (elapsedMs) => timeout(reader, [t], 1, elapsedMs, options.signal));
  return running!;
}

/** poll runs `check` until it returns true, pausing with a growing delay; at the deadline it throws `onTimeout()`. */
async function poll(options: WaitOptions, check: () => Promise<boolean>, onTimeout: (elapsedMs: number) => Promise<AirbundleError>): Promise<void> {
  const timeoutMs = positive(options.timeoutMs, 300_000);
  const maxPollMs = positive(options.maxPollMs, 5_000);
  let delay = Math.min(positive(options.pollMs, 500), maxPollMs);
  const start = Date.now();
  for (;;) {
    if (options.signal?.aborted === true) throw aborted(options.signal);
    if (await check()) return;
    const remaining = start + timeoutMs - Date.now();
    if (remaining <= 0) throw await onTimeout(Date.now() - start);
    try {
      await sleep(Math.min(delay, remaining), undefined, { signal: options.signal });
    } catch {
      throw aborted(options.signal);
    }
    delay = Math.min(Math.ceil(delay * 1.5), maxPollMs);
  }
}

async function assess(reader: ObjectReader, obj: KubeObject, storageClasses: Map<string, Promise<KubeObject | undefined>>, signal: AbortSignal | undefined): Promise<Readiness> {
  const className = pvcStorageClassToCheck(obj);
  if (className === undefined) return assessReadiness(obj);
  let sc = storageClasses.get(className);
  if (sc === undefined) {
    sc = reader.get({ apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', name: className }, { signal }).catch(() => undefined);
    storageClasses.set(className, sc);
  }
  const storageClass = await sc;
  return assessReadiness(obj, storageClass === undefined ? {} : { storageClass });
}

function report(onEvent: ProgressSink, t: Tracked, verdict: Readiness): void {
  if (t.verdict?.message === verdict.message && t.verdict.state === verdict.state) return;
  const name = formatRef(t.object === undefined ? t.ref : refOf(t.object));
  const message = verdict.state === 'ready' ? `${name} is ready: ${verdict.message}` : `waiting for ${name}: ${verdict.message}`;
  onEvent({ type: 'info', phase: PHASE, message });
}

/** podProblems lists the pods of a workload and explains what is wrong with them, best effort. */
async function podProblems(reader: ObjectReader, obj: KubeObject | undefined, signal: AbortSignal | undefined): Promise<string | undefined> {
  if (obj === undefined) return undefined;
  const selector = podSelectorOf(obj);
  if (selector === undefined) return undefined;
  try {
    const pods = await reader.list('v1', 'Pod', obj.metadata.namespace, { labelSelector: selector, signal });
    return describePodProblems(pods);
  } catch {
    return undefined;
  }
}

async function failure(reader: ObjectReader, t: Tracked, signal: AbortSignal | undefined): Promise<AirbundleError> {
  const name = formatRef(t.object === undefined ? t.ref : refOf(t.object));
  const pods = t.ref.kind === 'Pod' ? undefined : await podProblems(reader, t.object, signal);
  const message = `${name} failed: ${t.verdict?.message ?? 'unknown reason'}${pods === undefined ? '' : `; ${pods}`}`;
  return new AirbundleError('K8S_FAILED', message, {
    details: { object: t.object === undefined ? t.ref : refOf(t.object), reason: t.verdict?.message, pods },
    hint: t.ref.kind === 'Job' || t.ref.kind === 'Pod' ? `see its logs: kubectl logs -n ${t.ref.namespace ?? '<namespace>'} ${t.ref.kind.toLowerCase()}/${t.ref.name}` : undefined,
  });
}

async function timeout(reader: ObjectReader, pending: readonly Tracked[], total: number, elapsedMs: number, signal: AbortSignal | undefined): Promise<AirbundleError> {
  const lines = await Promise.all(
    pending.map(async (t) => {
      const pods = await podProblems(reader, t.object, signal);
      const why = [t.verdict?.message ?? 'not checked', pods].filter((s) => s !== undefined).join('; ');
      return { object: t.object === undefined ? t.ref : refOf(t.object), why };
    }),
  );
  const list = lines.map((l) => `\n  - ${formatRef(l.object)}: ${l.why}`).join('');
  return new AirbundleError('K8S_TIMEOUT', `timed out after ${Math.round(elapsedMs / 1000)}s waiting for ${pending.length} of ${total} objects to become ready:${list}`, {
    details: { notReady: lines },
    hint: 'wait longer with --timeout, or look at the objects listed (kubectl describe) for what holds them up',
  });
}

function aborted(signal: AbortSignal | undefined): AirbundleError {
  return new AirbundleError('ABORTED', 'waiting for objects was aborted', { cause: signal?.reason });
}

function positive(v: number | undefined, fallback: number): number {
  return v !== undefined && v > 0 ? v : fallback;
}
