/**
 * Applying a set of objects with server-side apply, one by one in apply order (apply-order.ts). Each object is read
 * first so the result can say created / configured / unchanged (apply-outcome.ts has the rule). When the set holds
 * CustomResourceDefinitions, their resources are applied only once the CRDs are Established, since until then the
 * API server does not serve the new kinds.
 */
import { AirbundleError } from '../errors.js';
import { noProgress } from '../progress/events.js';
import { applyAction } from './apply-outcome.js';
import { sortForApply } from './apply-order.js';
import type { ApplyOptions, ApplyResult, WaitOptions } from './cluster.types.js';
import { asKubeObject, formatRef, refOf, type KubeObject, type ObjectRef } from './object.js';

const PHASE = 'apply';

/** ApplyPort is what applying needs from a cluster connection; its errors are already AirbundleErrors. */
export interface ApplyPort {
  get(ref: ObjectRef, options: { signal?: AbortSignal }): Promise<KubeObject | undefined>;
  applyOne(obj: KubeObject, options: { fieldManager: string; force: boolean; dryRun: boolean; signal?: AbortSignal }): Promise<KubeObject>;
  waitReady(refs: readonly ObjectRef[], options: WaitOptions): Promise<void>;
}

/** applyAll validates, orders and applies `objects`; see the file comment. */
export async function applyAll(port: ApplyPort, objects: readonly unknown[], options: ApplyOptions = {}): Promise<ApplyResult[]> {
  const onEvent = options.onEvent ?? noProgress;
  const fieldManager = options.fieldManager ?? 'airbundle';
  const force = options.force === true;
  const dryRun = options.dryRun === true;
  const checked = objects.map((o, i) => {
    const obj = asKubeObject(o);
    if (typeof obj === 'string') throw new AirbundleError('K8S_INVALID', `object ${i + 1} of ${objects.length} cannot be applied: ${obj}`);
    return obj;
  });
  const ordered = sortForApply(checked);
  const lastCrd = ordered.map((o) => o.kind).lastIndexOf('CustomResourceDefinition');
  const crds: ObjectRef[] = [];
  const results: ApplyResult[] = [];
  onEvent({ type: 'phase-start', phase: PHASE, title: `Applying ${ordered.length} objects${dryRun ? ' (dry run)' : ''}`, total: ordered.length });
  for (const [i, obj] of ordered.entries()) {
    if (options.signal?.aborted === true) throw new AirbundleError('ABORTED', 'apply was aborted', { cause: options.signal.reason });
    const before = await port.get(refOf(obj), { signal: options.signal });
    const after = await port.applyOne(obj, { fieldManager, force, dryRun, signal: options.signal });
    const action = applyAction(before, after, dryRun);
    const ref = refOf(after);
    results.push({ ref, action, object: after });
    onEvent({ type: 'info', phase: PHASE, message: `${formatRef(ref)} ${action}${dryRun ? ' (dry run)' : ''}` });
    if (obj.kind === 'CustomResourceDefinition') crds.push(ref);
    if (i === lastCrd && i < ordered.length - 1 && !dryRun) {
      const timeoutMs = options.crdTimeoutMs !== undefined && options.crdTimeoutMs > 0 ? options.crdTimeoutMs : 60_000;
      await port.waitReady(crds, { timeoutMs, pollMs: 200, onEvent, signal: options.signal });
    }
  }
  onEvent({ type: 'phase-end', phase: PHASE, title: `Applied ${ordered.length} objects${dryRun ? ' (dry run)' : ''}` });
  return results;
}
