/**
 * Turns what the client library throws into AirbundleErrors that name the object, the verb and the server, with
 * a hint. The API server explains every failure in a `Status` body
 * (https://kubernetes.io/docs/reference/using-api/api-concepts/#response-status-kind, v1.31), so the mapping
 * reads its `reason`, `message` and `details.causes` rather than guessing from the HTTP status alone.
 */
import { ApiException } from '@kubernetes/client-node';
import { AirbundleError, errorMessage } from '../errors.js';
import { formatRef, isRecord, type ObjectRef } from './object.js';
import { TLS_TRUST_CODES } from '../util/network-errors.js';

/** KubeStatus is the `Status` kind the API server sends with every error. */
export interface KubeStatus {
  status?: string;
  message?: string;
  reason?: string;
  code?: number;
  details?: { name?: string; group?: string; kind?: string; causes?: { reason?: string; message?: string; field?: string }[] };
}

/** ApiCallContext says what was being done, for the message. */
export interface ApiCallContext {
  /** The API server URL. */
  server: string;
  /** The kubeconfig context. */
  context: string;
  /** The Kubernetes verb: get, list, patch, delete, create (exec). */
  verb: string;
  /** The object, when there is one. */
  ref?: ObjectRef;
  /** The RBAC verb and resource, when they differ from `verb` and the object's kind (exec: create pods/exec). */
  rbac?: { verb: string; resource: string };
  /** The caller's signal: a failure after it fired is ABORTED, whatever the client library made of it. */
  signal?: AbortSignal | undefined;
}

/** FieldConflict is one field another manager owns, from a 409 apply conflict. */
export interface FieldConflict {
  manager: string;
  field: string;
}

/** parseStatus reads a `Status` from an error body (JSON text or an already parsed object). */
export function parseStatus(body: unknown): KubeStatus | undefined {
  let v = body;
  if (typeof body === 'string') {
    try {
      v = JSON.parse(body) as unknown;
    } catch {
      return body.trim() === '' ? undefined : { message: body.trim() };
    }
  }
  return isRecord(v) ? (v as KubeStatus) : undefined;
}

/** fieldConflicts lists the fields and managers of a server-side apply conflict (`reason: FieldManagerConflict` causes). */
export function fieldConflicts(status: KubeStatus): FieldConflict[] {
  const out: FieldConflict[] = [];
  for (const cause of status.details?.causes ?? []) {
    if (cause.reason !== 'FieldManagerConflict') continue;
    // The cause message reads `conflict with "kubectl-edit" using apps/v1` (sigs.k8s.io/structured-merge-diff).
    const manager = /conflict with "([^"]*)"/.exec(cause.message ?? '')?.[1] ?? 'unknown';
    out.push({ manager, field: cause.field ?? '(unknown field)' });
  }
  return out;
}

/** errnoOf finds a socket error code on an error, its cause, or a websocket error event. */
export function errnoOf(err: unknown): string | undefined {
  let cur: unknown = err;
  for (let depth = 0; depth < 5 && isRecord(cur); depth++) {
    for (const key of ['code', 'errno']) {
      const v = cur[key];
      if (typeof v === 'string' && v !== '') return v;
    }
    cur = cur['cause'] ?? cur['error'];
  }
  return undefined;
}

/** unreachable builds K8S_UNREACHABLE naming the server, with a hint that fits the socket error. */
export function unreachable(err: unknown, ctx: ApiCallContext): AirbundleError {
  const errno = errnoOf(err);
  let hint: string;
  if (errno !== undefined && TLS_TRUST_CODES.has(errno)) {
    hint = `the server certificate is not trusted: check certificate-authority(-data) of cluster in context "${ctx.context}"`;
  } else if (errno === 'ENOTFOUND' || errno === 'EAI_AGAIN') {
    hint = `the host name of ${ctx.server} does not resolve: check the kubeconfig, or pick another one with --kubeconfig / --context`;
  } else {
    hint = `is the cluster up and reachable from here? Check the kubeconfig, or pick another one with --kubeconfig / --context`;
  }
  const reason = errorMessage(err).replace(/^Failed to fetch resource metadata for \S+: /, '');
  return new AirbundleError('K8S_UNREACHABLE', `cannot reach the Kubernetes API server ${ctx.server}: ${reason}`, {
    cause: err,
    hint,
    details: { server: ctx.server, errno },
  });
}

function isNetworkError(err: unknown): boolean {
  const errno = errnoOf(err);
  if (errno !== undefined && (/^E[A-Z]+$/.test(errno) || TLS_TRUST_CODES.has(errno) || errno.startsWith('ERR_TLS') || errno.startsWith('ERR_SSL') || errno.startsWith('UND_ERR'))) return true;
  return isRecord(err) && err['name'] === 'FetchError';
}

/** toClusterError maps anything thrown by an API call to an AirbundleError (already-mapped errors pass through). */
export function toClusterError(err: unknown, ctx: ApiCallContext): AirbundleError {
  if (err instanceof AirbundleError) return err;
  if (ctx.signal?.aborted === true) return new AirbundleError('ABORTED', `${ctx.verb} was aborted`, { cause: ctx.signal.reason });
  const what = ctx.ref === undefined ? ctx.verb : `${ctx.verb} ${formatRef(ctx.ref)}`;
  if (err instanceof ApiException) return fromStatus(Number(err.code), parseStatus(err.body), ctx, err);
  if (isNetworkError(err)) return unreachable(err, ctx);
  const message = errorMessage(err);
  if (isRecord(err) && err['name'] === 'AbortError') {
    return new AirbundleError('K8S_UNREACHABLE', `${what}: ${ctx.server} did not answer in time`, { cause: err, details: { server: ctx.server }, hint: 'the API server may be overloaded or the network path broken' });
  }
  if (message.startsWith('Unrecognized API version and kind')) return unknownKind(ctx, err);
  return new AirbundleError('K8S_ERROR', `${what}: ${message}`, { cause: err, details: { server: ctx.server } });
}

/** fromStatus maps an HTTP error status and its `Status` body. */
export function fromStatus(code: number, status: KubeStatus | undefined, ctx: ApiCallContext, cause?: unknown): AirbundleError {
  const ref = ctx.ref === undefined ? undefined : formatRef(ctx.ref);
  const what = ref === undefined ? ctx.verb : `${ctx.verb} ${ref}`;
  const serverSays = status?.message ?? status?.reason ?? `HTTP ${code}`;
  const details = { server: ctx.server, status: code, reason: status?.reason, ...(ctx.ref === undefined ? {} : { object: ctx.ref }) };
  const opts = { cause, details };
  if (cause instanceof Error && cause.message.startsWith('Failed to fetch resource metadata') && code === 404) return unknownKind(ctx, cause);
  switch (code) {
    case 401:
      return new AirbundleError('K8S_AUTH', `${ctx.server} rejected the credentials of context "${ctx.context}": ${serverSays}`, {
        ...opts,
        hint: 'the token or client certificate in the kubeconfig is missing, wrong or expired; refresh it (or pick another with --kubeconfig / --context)',
      });
    case 403: {
      const resource = ctx.rbac?.resource ?? status?.details?.kind ?? (ctx.ref === undefined ? 'the resource' : `${ctx.ref.kind.toLowerCase()}s`);
      const verb = ctx.rbac?.verb ?? ctx.verb;
      const group = status?.details?.group;
      const fq = group !== undefined && group !== '' ? `${resource}.${group}` : resource;
      const ns = ctx.ref?.namespace;
      return new AirbundleError('K8S_DENIED', `not allowed to ${what}: ${serverSays}`, {
        ...opts,
        hint: `ask a cluster admin for RBAC permission to ${verb} ${fq}${ns === undefined ? '' : ` in namespace ${ns}`} (check with: kubectl auth can-i ${verb} ${fq}${ns === undefined ? '' : ` -n ${ns}`})`,
      });
    }
    case 404:
      return new AirbundleError('K8S_NOT_FOUND', `${what}: ${serverSays}`, opts);
    case 409: {
      const conflicts = status === undefined ? [] : fieldConflicts(status);
      if (conflicts.length > 0) {
        const managers = [...new Set(conflicts.map((c) => c.manager))];
        return new AirbundleError(
          'K8S_CONFLICT',
          `${ref ?? 'object'}: field manager ${managers.map((m) => `"${m}"`).join(', ')} owns ${conflicts.map((c) => c.field).join(', ')} with a different value`,
          {
            cause,
            details: { ...details, conflicts },
            hint: `another tool manages these fields; re-run with --force-conflicts to take them over, or change them through ${managers.length === 1 ? `"${managers[0]}"` : 'their owners'}`,
          },
        );
      }
      return new AirbundleError('K8S_CONFLICT', `${what}: ${serverSays}`, { ...opts, hint: 'the object changed or exists already; retry' });
    }
    case 400:
    case 422:
      return new AirbundleError('K8S_INVALID', `${what}: the API server rejected it: ${serverSays}`, { ...opts, details: { ...details, causes: status?.details?.causes } });
    default:
      return new AirbundleError('K8S_ERROR', `${what}: ${ctx.server} answered HTTP ${code}: ${serverSays}`, opts);
  }
}

function unknownKind(ctx: ApiCallContext, cause: unknown): AirbundleError {
  const kind = ctx.ref === undefined ? 'this kind' : `kind ${ctx.ref.kind} in ${ctx.ref.apiVersion}`;
  return new AirbundleError('K8S_NOT_FOUND', `${ctx.server} does not serve ${kind}${ctx.ref === undefined ? '' : ` (${formatRef(ctx.ref)})`}`, {
    cause,
    details: { server: ctx.server, ...(ctx.ref === undefined ? {} : { object: ctx.ref }) },
    hint: 'install the CRD or operator that provides it first, or check the apiVersion',
  });
}
