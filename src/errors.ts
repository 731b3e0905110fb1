/**
 * AirbundleError is the one error type the library throws on purpose. Every instance carries a stable
 * `code` (scripts and tests match on it), a message that names the thing that failed, and, where there is
 * one, a `hint` that says what to do next. Anything else that escapes the library is a bug.
 */
export type ErrorCode =
  // input: specs, flags, files named by the user
  | 'USAGE'
  | 'SPEC_NOT_FOUND'
  | 'SPEC_SYNTAX'
  | 'SPEC_INVALID'
  | 'SPEC_UNKNOWN_FIELD'
  | 'PATH_ESCAPE'
  | 'PATH_CONFLICT'
  // sources
  | 'SOURCE_NOT_FOUND'
  | 'SOURCE_UNREACHABLE'
  | 'SOURCE_HTTP_STATUS'
  | 'SOURCE_AUTH'
  | 'SOURCE_UNSUPPORTED'
  | 'SOURCE_INVALID'
  // content
  | 'DIGEST_INVALID'
  | 'DIGEST_MISMATCH'
  | 'SIZE_MISMATCH'
  | 'BLOB_NOT_FOUND'
  | 'CACHE_CORRUPT'
  // bundle and archive
  | 'BUNDLE_NOT_FOUND'
  | 'BUNDLE_UNREADABLE'
  | 'BUNDLE_CORRUPT'
  | 'BUNDLE_EXISTS'
  | 'ARCHIVE_CORRUPT'
  | 'VOLUME_MISSING'
  | 'VOLUME_MISMATCH'
  | 'VOLUME_ORDER'
  // signing
  | 'SIGNATURE_MISSING'
  | 'SIGNATURE_INVALID'
  | 'KEY_INVALID'
  | 'KEY_PASSPHRASE'
  | 'KEY_EXISTS'
  // registries (OCI distribution)
  | 'MANIFEST_NOT_FOUND'
  | 'REFERENCE_INVALID'
  | 'REGISTRY_AUTH'
  | 'REGISTRY_DENIED'
  | 'REGISTRY_ERROR'
  | 'REGISTRY_UNREACHABLE'
  // deploy
  | 'VALUES_INVALID'
  | 'IMAGE_NOT_IN_BUNDLE'
  | 'MODEL_NOT_IN_BUNDLE'
  | 'MANIFEST_INVALID'
  // kubernetes API
  | 'K8S_CONFIG'
  | 'K8S_UNREACHABLE'
  | 'K8S_AUTH'
  | 'K8S_DENIED'
  | 'K8S_NOT_FOUND'
  | 'K8S_CONFLICT'
  | 'K8S_INVALID'
  | 'K8S_TIMEOUT'
  | 'K8S_FAILED'
  | 'K8S_EXEC'
  | 'K8S_ERROR'
  // Zarf packages and definitions (zarf-compat)
  | 'ZARF_DEFINITION_INVALID'
  | 'ZARF_IMPORT_FAILED'
  | 'ZARF_PACKAGE_CORRUPT'
  // targets
  | 'TARGET_WRITE'
  | 'ABORTED'
  | 'INTERNAL';

/** Options for {@link AirbundleError}. */
export interface AirbundleErrorOptions {
  /** What the user can do about it, one sentence. */
  hint?: string;
  /** The underlying error. */
  cause?: unknown;
  /** Structured detail for `--json` output (artifact, blob, chunk, volume, offset, …). */
  details?: Record<string, unknown>;
}

/** AirbundleError carries a stable `code`, a message naming what failed, and a hint saying what to do. */
export class AirbundleError extends Error {
  readonly code: ErrorCode;
  readonly hint: string | undefined;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, options: AirbundleErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AirbundleError';
    this.code = code;
    this.hint = options.hint;
    this.details = options.details;
  }
}

/** isAirbundleError tells whether `err` is an {@link AirbundleError}, optionally with the given code. */
export function isAirbundleError(err: unknown, code?: ErrorCode): err is AirbundleError {
  return err instanceof AirbundleError && (code === undefined || err.code === code);
}

/** errorMessage returns the message of any thrown value. */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
