/**
 * Responses of the Kubernetes API emulator: JSON bodies, `Status` failures with the API server's reasons and
 * messages (https://kubernetes.io/docs/reference/using-api/api-concepts/#response-status-kind, v1.31), and the
 * small parsers the handler needs (request bodies, label selectors).
 */
import { parse as parseYaml } from 'yaml';
import type { ResourceDef } from './k8s-emulator-resources.js';
import { deepEqual, isObj, type FieldConflict, type Obj } from './k8s-emulator-ssa.js';

/** EmulatorRequest is one HTTP request, already read. */
export interface EmulatorRequest {
  method: string;
  path: string;
  query?: URLSearchParams;
  /** Header names in lower case. */
  headers?: Record<string, string | undefined>;
  body?: Buffer | string;
}

/** EmulatorResponse is the handler's answer. */
export interface EmulatorResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

const JSON_HEADERS = { 'content-type': 'application/json' };
const REASONS: Record<number, string> = { 400: 'BadRequest', 401: 'Unauthorized', 403: 'Forbidden', 404: 'NotFound', 405: 'MethodNotAllowed', 409: 'Conflict', 415: 'UnsupportedMediaType', 422: 'Invalid' };

export const json = (status: number, body: unknown): EmulatorResponse => ({ status, headers: JSON_HEADERS, body: JSON.stringify(body) });

/** statusResponse builds a failure `Status` response. */
export function statusResponse(code: number, message: string, details?: Obj, reason = REASONS[code] ?? 'InternalError'): EmulatorResponse {
  return json(code, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, ...(details === undefined ? {} : { details }), code });
}

export function resourceName(def: ResourceDef): string {
  return def.group === '' ? def.plural : `${def.plural}.${def.group}`;
}

export function parseBody(body: string): Obj | string {
  let v: unknown;
  try {
    v = parseYaml(body);
  } catch (e) {
    return `error decoding YAML: ${e instanceof Error ? e.message : String(e)}`;
  }
  return isObj(v) ? v : 'the request body is not an object';
}

export function specChanged(before: Obj, after: Obj): boolean {
  const strip = (o: Obj): Obj => {
    const { metadata: _m, status: _s, ...rest } = o;
    return rest;
  };
  return !deepEqual(strip(before), strip(after));
}

export function conflictResponse(def: ResourceDef, name: string | undefined, conflicts: FieldConflict[]): EmulatorResponse {
  const message =
    conflicts.length === 1
      ? `Apply failed with 1 conflict: conflict with "${conflicts[0]!.manager}" using ${conflicts[0]!.apiVersion}: ${conflicts[0]!.field}`
      : `Apply failed with ${conflicts.length} conflicts: ${conflicts.map((c) => `conflict with "${c.manager}" using ${c.apiVersion}: ${c.field}`).join('\n')}`;
  return statusResponse(409, message, {
    name,
    group: def.group,
    kind: def.plural,
    causes: conflicts.map((c) => ({ reason: 'FieldManagerConflict', message: `conflict with "${c.manager}" using ${c.apiVersion}`, field: c.field })),
  });
}

/** selectorMatcher parses an equality-based label selector (`a=b,c!=d,e,!f`); undefined when it cannot. */
export function selectorMatcher(selector: string): ((labels: Obj) => boolean) | undefined {
  const tests: ((l: Obj) => boolean)[] = [];
  for (const raw of selector.split(',').map((s) => s.trim()).filter((s) => s !== '')) {
    let m: RegExpExecArray | null;
    if ((m = /^([\w./-]+)\s*!=\s*([\w.-]*)$/.exec(raw)) !== null) {
      const [k, v] = [m[1]!, m[2]!];
      tests.push((l) => l[k] !== v);
    } else if ((m = /^([\w./-]+)\s*==?\s*([\w.-]*)$/.exec(raw)) !== null) {
      const [k, v] = [m[1]!, m[2]!];
      tests.push((l) => l[k] === v);
    } else if ((m = /^!([\w./-]+)$/.exec(raw)) !== null) {
      const k = m[1]!;
      tests.push((l) => !(k in l));
    } else if ((m = /^([\w./-]+)$/.exec(raw)) !== null) {
      const k = m[1]!;
      tests.push((l) => k in l);
    } else {
      return undefined;
    }
  }
  return (labels) => tests.every((t) => t(labels));
}
