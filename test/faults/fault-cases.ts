/**
 * The fault matrix of issue 7 (item 2) as data: each row is a fault the proxy applies to the request that carries
 * the big body (the blob PUT of a push, the file GET of a Hub download), how many attempts it hits, and what the
 * CLI must come to for each target: `ok` (byte-exact result) or the error code it fails with. Rows that hit every
 * attempt (`times: Infinity`) are the persistent faults; for a download that resumes, a fault after some bytes
 * still lets each attempt make progress, so those rows end `ok` on the Hub and fail on the registry (distribution
 * 2.8 loses an interrupted upload, so each attempt starts the blob again from byte 0).
 */
import type { ErrorCode } from '../../src/errors.js';
import type { Direction, FaultAction } from '../support/fault-proxy.js';

const KiB = 1024;

/** MID is where mid-body faults strike: well inside the big body, well short of its end. */
export const MID = 512 * KiB;

/** How long a stalled flow stays silent before the "middlebox" drops it. */
export const STALL_MS = 1000;

/** TRICKLE_RATE is the slow trickle's pace: the big body takes about a second and a half. */
export const TRICKLE_RATE = 1024 * KiB;

/** Outcome is what the CLI must come to: a byte-exact result, or a failure with this code. */
export type Outcome = 'ok' | ErrorCode;

/** FaultCase is one row of the matrix. */
export interface FaultCase {
  /** Row label. */
  fault: string;
  /** Attempts the fault hits; Infinity for every one. */
  times: number;
  action: (direction: Direction) => FaultAction;
  /** Body bytes that passed before the cut, for faults that cut mid-body. */
  cutAt?: number;
  /** Requests for the big body the CLI must make in all, when the fault must cost no retry. */
  bigBodyRequests?: number;
  push: Outcome;
  hf: Outcome;
}

const status = (code: number, headers?: Record<string, string>) => (): FaultAction => ({ kind: 'status', status: code, ...(headers === undefined ? {} : { headers }) });

/** FAULT_CASES is the matrix, transient faults first, then persistent ones. */
export const FAULT_CASES: FaultCase[] = [
  { fault: 'reset mid-body', times: 1, action: (direction) => ({ kind: 'reset', afterBytes: MID, direction }), cutAt: MID, push: 'ok', hf: 'ok' },
  { fault: '500', times: 2, action: status(500), push: 'ok', hf: 'ok' },
  { fault: '502', times: 2, action: status(502), push: 'ok', hf: 'ok' },
  { fault: '503', times: 2, action: status(503), push: 'ok', hf: 'ok' },
  { fault: '429 with Retry-After: 1', times: 2, action: status(429, { 'retry-after': '1' }), push: 'ok', hf: 'ok' },
  { fault: 'stall mid-body, flow dropped after 1 s', times: 1, action: (direction) => ({ kind: 'stall', afterBytes: MID, forMs: STALL_MS, direction }), cutAt: MID, push: 'ok', hf: 'ok' },
  { fault: 'truncated body (FIN)', times: 1, action: (direction) => ({ kind: 'truncate', afterBytes: MID, direction }), cutAt: MID, push: 'ok', hf: 'ok' },
  { fault: 'slow trickle, whole body', times: 1, action: (direction) => ({ kind: 'trickle', bytesPerSecond: TRICKLE_RATE, direction }), bigBodyRequests: 1, push: 'ok', hf: 'ok' },

  { fault: 'reset mid-body, every attempt', times: Infinity, action: (direction) => ({ kind: 'reset', afterBytes: MID, direction }), cutAt: MID, push: 'REGISTRY_UNREACHABLE', hf: 'ok' },
  { fault: 'reset before the first body byte, every attempt', times: Infinity, action: (direction) => ({ kind: 'reset', afterBytes: 0, direction }), cutAt: 0, push: 'REGISTRY_UNREACHABLE', hf: 'SOURCE_UNREACHABLE' },
  { fault: 'always 500', times: Infinity, action: status(500), push: 'REGISTRY_ERROR', hf: 'SOURCE_HTTP_STATUS' },
  { fault: 'always 503', times: Infinity, action: status(503), push: 'REGISTRY_ERROR', hf: 'SOURCE_HTTP_STATUS' },
  { fault: 'always 429 with Retry-After: 1', times: Infinity, action: status(429, { 'retry-after': '1' }), push: 'REGISTRY_ERROR', hf: 'SOURCE_HTTP_STATUS' },
  { fault: 'stall mid-body, every attempt, flow dropped after 1 s', times: Infinity, action: (direction) => ({ kind: 'stall', afterBytes: MID, forMs: STALL_MS, direction }), cutAt: MID, push: 'REGISTRY_UNREACHABLE', hf: 'ok' },
  { fault: 'truncated body (FIN), every attempt', times: Infinity, action: (direction) => ({ kind: 'truncate', afterBytes: MID, direction }), cutAt: MID, push: 'REGISTRY_UNREACHABLE', hf: 'ok' },
];
