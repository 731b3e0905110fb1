import type { ErrorCode } from '../errors.js';

/** ExitError ends the CLI with a given exit code after the command has printed what it needs to. */
export class ExitError extends Error {
  readonly exitCode: number;
  constructor(exitCode: number) {
    super(`exit ${exitCode}`);
    this.exitCode = exitCode;
  }
}

/** Codes that mean "bad usage or unreadable input" (exit 2); every other failure exits 1. */
const USAGE_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'USAGE',
  'SPEC_NOT_FOUND',
  'SPEC_SYNTAX',
  'SPEC_INVALID',
  'SPEC_UNKNOWN_FIELD',
  'BUNDLE_NOT_FOUND',
  'BUNDLE_UNREADABLE',
  'VOLUME_MISSING',
  'KEY_INVALID',
  'KEY_PASSPHRASE',
  'KEY_EXISTS',
  'VALUES_INVALID',
]);

/** exitCodeFor maps an error code to the process exit code. */
export function exitCodeFor(code: ErrorCode): number {
  return USAGE_CODES.has(code) ? 2 : 1;
}
