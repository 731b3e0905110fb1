/**
 * Registry error responses turned into AirbundleErrors. The body `{"errors":[{"code","message","detail"}]}` is
 * quoted (code and message; never request headers), 403 becomes REGISTRY_DENIED, a 404 takes the code the caller
 * names (MANIFEST_NOT_FOUND, BLOB_NOT_FOUND), and statuses retry.ts calls retryable are marked transient.
 * Reference: https://github.com/opencontainers/distribution-spec/blob/v1.1.1/spec.md#error-codes
 */
import { STATUS_CODES } from 'node:http';
import { AirbundleError, type ErrorCode } from '../errors.js';
import type { HttpResponse } from './http-client.js';
import { parseRetryAfter, retryableStatus, transientDetails } from './retry.js';

/** RegistryErrorEntry is one entry of a registry's JSON error body. */
export interface RegistryErrorEntry {
  code: string;
  message: string;
  detail?: unknown;
}

/** ResponseErrorOptions for {@link responseError}. */
export interface ResponseErrorOptions {
  /** Registry host for messages. */
  registry: string;
  /** Code for a 404 (default REGISTRY_ERROR). */
  notFound?: ErrorCode;
  /** Hint to use instead of the default one for the status. */
  hint?: string;
  /** Mark the error transient whatever the status (e.g. a lost upload session, which a new attempt recovers). */
  transient?: boolean;
  /** Sentence appended to the message (e.g. the Zot docker2s2 explanation). */
  explain?: (status: number, errors: RegistryErrorEntry[], res: HttpResponse) => string | undefined;
}

/** parseErrorBody reads the error entries of a registry's JSON error body (none if it is not one). */
export function parseErrorBody(text: string): RegistryErrorEntry[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return [];
  }
  const list = (parsed as { errors?: unknown } | null)?.errors;
  if (!Array.isArray(list)) return [];
  const out: RegistryErrorEntry[] = [];
  for (const item of list) {
    if (item === null || typeof item !== 'object') continue;
    const e = item as Record<string, unknown>;
    out.push({ code: typeof e.code === 'string' ? e.code : 'UNKNOWN', message: typeof e.message === 'string' ? e.message : '', detail: e.detail });
  }
  return out;
}

/** describeErrors quotes error entries as `CODE: message; CODE: message`. */
export function describeErrors(errors: readonly RegistryErrorEntry[]): string {
  return errors.map((e) => (e.message === '' ? e.code : `${e.code}: ${e.message}`)).join('; ');
}

/** responseError reads a failed response's body and builds the error for it; `what` says what was being done. */
export async function responseError(res: HttpResponse, what: string, options: ResponseErrorOptions): Promise<AirbundleError> {
  const text = await res.text();
  const errors = parseErrorBody(text);
  const quoted = errors.length > 0 ? describeErrors(errors) : oneLine(text);
  const status = res.status;
  const statusText = STATUS_CODES[status];
  let message = `${what}: ${options.registry} answered ${status}${statusText === undefined ? '' : ` ${statusText}`}${quoted === '' ? '' : ` (${quoted})`}`;
  const extra = options.explain?.(status, errors, res);
  if (extra !== undefined) message += `. ${extra}`;
  const retryAfterMs = parseRetryAfter(res.header('retry-after'));
  const details: Record<string, unknown> = {
    status,
    registry: options.registry,
    registryErrors: errors.map((e) => ({ code: e.code, message: e.message })),
    ...(retryableStatus(status) || options.transient === true ? transientDetails(status === 429 || status === 503 ? retryAfterMs : undefined) : {}),
  };
  let code: ErrorCode = 'REGISTRY_ERROR';
  let hint = options.hint;
  if (status === 401) {
    code = 'REGISTRY_AUTH';
    hint ??= `pass --username and --password, or run "docker login ${options.registry}"`;
  } else if (status === 403) {
    code = 'REGISTRY_DENIED';
    hint ??= 'the credentials were accepted but lack permission for this repository or action; ask the registry admin';
  } else if (status === 404 && options.notFound !== undefined) {
    code = options.notFound;
  } else if (status === 429) {
    hint ??= 'the registry is rate-limiting; wait and try again';
  }
  return new AirbundleError(code, message, { details, ...(hint === undefined ? {} : { hint }) });
}

function oneLine(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > 200 ? `${line.slice(0, 200)}…` : line;
}
