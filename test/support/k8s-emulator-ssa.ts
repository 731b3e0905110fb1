/**
 * Server-side apply for the Kubernetes API emulator: field ownership, conflicts and merging, pure.
 *
 * Follows https://kubernetes.io/docs/reference/using-api/server-side-apply/ (v1.31) at leaf granularity: every
 * scalar, list or empty map in an applied configuration is one owned field, recorded per manager and operation in
 * `metadata.managedFields` as `FieldsV1` (`{"f:spec":{"f:replicas":{}}}`). Simplification: every list is atomic
 * (the real server merges associative lists such as `containers` by key).
 */

export type Obj = Record<string, unknown>;
export type Path = readonly string[];

/** isObj tells whether `v` is a JSON object. */
export function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** clone deep-copies a JSON value. */
export function clone<T>(v: T): T {
  return structuredClone(v);
}

/** deepEqual compares JSON values (key order ignored). */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  if (isObj(a) && isObj(b)) {
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => k in b && deepEqual(a[k], b[k]));
  }
  return false;
}

/** Top-level and metadata fields the server owns; they are never part of a field set. */
const SERVER_TOP = new Set(['apiVersion', 'kind', 'status']);
const SERVER_META = new Set(['name', 'namespace', 'uid', 'resourceVersion', 'generation', 'creationTimestamp', 'managedFields', 'deletionTimestamp', 'selfLink']);

/** leafPaths lists the fields of a configuration (see the file comment for what a field is). */
export function leafPaths(obj: Obj): Path[] {
  const out: Path[] = [];
  const walk = (v: unknown, path: string[]): void => {
    if (isObj(v) && Object.keys(v).length > 0) for (const [k, x] of Object.entries(v)) walk(x, [...path, k]);
    else out.push(path);
  };
  for (const [k, v] of Object.entries(obj)) {
    if (SERVER_TOP.has(k)) continue;
    if (k === 'metadata' && isObj(v)) {
      for (const [mk, mv] of Object.entries(v)) if (!SERVER_META.has(mk)) walk(mv, ['metadata', mk]);
    } else {
      walk(v, [k]);
    }
  }
  return out;
}

export const pathKey = (p: Path): string => JSON.stringify(p);
/** fieldName prints a path the way the API server does in conflict causes: `.spec.replicas`. */
export const fieldName = (p: Path): string => p.map((s) => `.${s}`).join('');

export function getAt(obj: unknown, path: Path): unknown {
  let cur = obj;
  for (const k of path) {
    if (!isObj(cur)) return undefined;
    cur = cur[k];
  }
  return cur;
}

export function setAt(obj: Obj, path: Path, value: unknown): void {
  let cur = obj;
  for (const k of path.slice(0, -1)) {
    if (!isObj(cur[k])) cur[k] = {};
    cur = cur[k] as Obj;
  }
  cur[path[path.length - 1]!] = value;
}

/** deleteAt removes a field and the maps it leaves empty. */
export function deleteAt(obj: Obj, path: Path): void {
  const parents: Obj[] = [];
  let cur: unknown = obj;
  for (const k of path.slice(0, -1)) {
    if (!isObj(cur)) return;
    parents.push(cur);
    cur = cur[k];
  }
  if (!isObj(cur)) return;
  delete cur[path[path.length - 1]!];
  for (let i = parents.length - 1; i >= 0; i--) {
    const child = parents[i]![path[i]!];
    if (isObj(child) && Object.keys(child).length === 0) delete parents[i]![path[i]!];
    else break;
  }
}

/** ManagedEntry is one `metadata.managedFields` entry. */
export interface ManagedEntry {
  manager: string;
  operation: 'Apply' | 'Update';
  apiVersion: string;
  time: string;
  fieldsType: 'FieldsV1';
  fieldsV1: Obj;
}

/** encodeFields builds FieldsV1 from paths. */
export function encodeFields(paths: readonly Path[]): Obj {
  const root: Obj = {};
  for (const p of paths) {
    let cur = root;
    for (const k of p) {
      const key = `f:${k}`;
      if (!isObj(cur[key])) cur[key] = {};
      cur = cur[key] as Obj;
    }
  }
  return root;
}

/** decodeFields lists the leaf paths of FieldsV1. */
export function decodeFields(fields: Obj): Path[] {
  const out: Path[] = [];
  const walk = (node: Obj, path: string[]): void => {
    const children = Object.keys(node).filter((k) => k.startsWith('f:'));
    if (children.length === 0) {
      if (path.length > 0) out.push(path);
      return;
    }
    for (const k of children) walk(isObj(node[k]) ? (node[k] as Obj) : {}, [...path, k.slice(2)]);
  };
  walk(fields, []);
  return out;
}

/** managedEntries reads an object's managedFields. */
export function managedEntries(obj: Obj | undefined): ManagedEntry[] {
  const mf = getAt(obj, ['metadata', 'managedFields']);
  return Array.isArray(mf) ? (mf.filter(isObj) as unknown as ManagedEntry[]) : [];
}

/** FieldConflict is one field another manager owns with a different value. */
export interface FieldConflict {
  manager: string;
  apiVersion: string;
  field: string;
}

export type ApplyOutcome = { kind: 'conflict'; conflicts: FieldConflict[] } | { kind: 'ok'; object: Obj; changed: boolean };

/** ApplyInput is one apply request, already checked for name, kind and namespace. */
export interface ApplyInput {
  existing: Obj | undefined;
  applied: Obj;
  manager: string;
  force: boolean;
  /** RFC 3339 time stamped on the manager's entry when something changed. */
  now: string;
}

/**
 * serverSideApply merges an applied configuration into the live object. A field another manager owns with a
 * different value is a conflict unless `force`, which moves ownership. Fields the manager applied before and
 * omits now are removed, unless someone else owns them too. `changed` is false when neither the object nor the
 * ownership changed (the server then writes nothing, so resourceVersion does not move).
 */
export function serverSideApply(input: ApplyInput): ApplyOutcome {
  const { existing, applied, manager, force, now } = input;
  const apiVersion = String(applied['apiVersion']);
  const appliedPaths = leafPaths(applied);
  const appliedKeys = new Set(appliedPaths.map(pathKey));
  const entries = managedEntries(existing).map((e) => ({ ...e, paths: new Map(decodeFields(e.fieldsV1).map((p) => [pathKey(p), p])) }));
  const isMine = (e: { manager: string; operation: string }): boolean => e.manager === manager && e.operation === 'Apply';

  const conflicts: FieldConflict[] = [];
  const conflicting = new Set<string>();
  for (const p of appliedPaths) {
    const key = pathKey(p);
    const live = getAt(existing, p);
    if (live === undefined || deepEqual(live, getAt(applied, p))) continue;
    for (const e of entries) {
      if (isMine(e) || !e.paths.has(key)) continue;
      conflicts.push({ manager: e.manager, apiVersion: e.apiVersion, field: fieldName(p) });
      conflicting.add(key);
    }
  }
  if (conflicts.length > 0 && !force) return { kind: 'conflict', conflicts };

  const result: Obj = existing === undefined ? { apiVersion: applied['apiVersion'], kind: applied['kind'], metadata: {} } : clone(existing);
  const meta = result['metadata'] as Obj;
  const appliedMeta = isObj(applied['metadata']) ? applied['metadata'] : {};
  for (const k of ['name', 'namespace']) if (appliedMeta[k] !== undefined && meta[k] === undefined) meta[k] = appliedMeta[k];
  result['apiVersion'] = applied['apiVersion'];

  const mine = entries.find(isMine);
  for (const [key, p] of mine?.paths ?? []) {
    if (appliedKeys.has(key)) continue;
    if (entries.some((e) => !isMine(e) && e.paths.has(key))) continue;
    deleteAt(result, p);
  }
  for (const p of appliedPaths) {
    const value = getAt(applied, p);
    // An empty map claims the map itself; it does not clear keys others set in it.
    if (isObj(value) && Object.keys(value).length === 0 && isObj(getAt(result, p))) continue;
    setAt(result, p, clone(value));
  }

  const next: ManagedEntry[] = [];
  const minePaths = mine?.paths ?? new Map<string, Path>();
  let ownershipChanged = minePaths.size !== appliedKeys.size || [...appliedKeys].some((k) => !minePaths.has(k));
  for (const e of entries) {
    if (isMine(e)) continue;
    const kept = [...e.paths.entries()].filter(([k]) => !conflicting.has(k)).map(([, p]) => p);
    if (kept.length !== e.paths.size) ownershipChanged = true;
    if (kept.length > 0) next.push({ manager: e.manager, operation: e.operation, apiVersion: e.apiVersion, time: e.time, fieldsType: 'FieldsV1', fieldsV1: encodeFields(kept) });
  }
  const contentChanged = !deepEqual(withoutManaged(existing), withoutManaged(result));
  const changed = contentChanged || ownershipChanged;
  const time = changed || mine === undefined ? now : mine.time;
  if (appliedPaths.length > 0) next.unshift({ manager, operation: 'Apply', apiVersion, time, fieldsType: 'FieldsV1', fieldsV1: encodeFields(appliedPaths) });
  meta['managedFields'] = next;
  return { kind: 'ok', object: result, changed };
}

/** recordUpdate records an Update-operation manager (create, replace) as owner of every field it set. */
export function recordUpdate(obj: Obj, manager: string, now: string): void {
  const paths = leafPaths(obj);
  const meta = obj['metadata'] as Obj;
  meta['managedFields'] = paths.length === 0 ? [] : [{ manager, operation: 'Update', apiVersion: String(obj['apiVersion']), time: now, fieldsType: 'FieldsV1', fieldsV1: encodeFields(paths) }];
}

function withoutManaged(obj: Obj | undefined): unknown {
  if (obj === undefined) return undefined;
  const meta = isObj(obj['metadata']) ? { ...obj['metadata'] } : {};
  delete meta['managedFields'];
  return { ...obj, metadata: meta };
}
