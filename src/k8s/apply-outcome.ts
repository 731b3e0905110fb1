/**
 * What a server-side apply did, decided from the object before (a GET) and the object the apply returned.
 *
 * The rule:
 * - `created`: there was no object before (the GET answered 404);
 * - `unchanged`: `metadata.resourceVersion` is the same after as before. The API server skips the storage write of
 *   a no-op apply, and resourceVersion moves on every write and only then (https://kubernetes.io/docs/reference/using-api/api-concepts/#resource-versions);
 * - `configured`: anything else.
 *
 * `metadata.generation` is not used: it moves only on spec changes, so a label or ConfigMap data change would
 * read as unchanged. A dry run never writes, so resourceVersion cannot tell; there the objects are compared
 * with the server-maintained fields (resourceVersion, generation, managedFields, status) left out.
 */
import type { ApplyAction } from './cluster.types.js';
import { isRecord, type KubeObject } from './object.js';

/** applyAction classifies one apply; see the file comment for the rule. */
export function applyAction(before: KubeObject | undefined, after: KubeObject, dryRun: boolean): ApplyAction {
  if (before === undefined) return 'created';
  if (!dryRun) return before.metadata.resourceVersion === after.metadata.resourceVersion ? 'unchanged' : 'configured';
  return sameContent(before, after) ? 'unchanged' : 'configured';
}

const SERVER_METADATA = new Set(['resourceVersion', 'generation', 'managedFields', 'creationTimestamp', 'uid', 'selfLink']);

function sameContent(a: KubeObject, b: KubeObject): boolean {
  const strip = (o: KubeObject): unknown => {
    const { status: _status, metadata, ...rest } = o;
    return { ...rest, metadata: Object.fromEntries(Object.entries(metadata).filter(([k]) => !SERVER_METADATA.has(k))) };
  };
  return deepEqual(strip(a), strip(b));
}

/** deepEqual compares JSON values; object key order does not matter. */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  if (isRecord(a) && isRecord(b)) {
    const ka = Object.keys(a).filter((k) => a[k] !== undefined);
    const kb = Object.keys(b).filter((k) => b[k] !== undefined);
    return ka.length === kb.length && ka.every((k) => deepEqual(a[k], b[k]));
  }
  return false;
}
