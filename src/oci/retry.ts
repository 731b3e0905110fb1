/**
 * The one retry policy of the registry client, and the one loop that applies it. What is worth retrying is decided
 * here and nowhere else: HTTP 5xx, 408 and 429 (honouring `Retry-After`), connections reset or timed out, and a
 * refused connection only after the host has answered before (a registry restarting, not a wrong port). Waits grow
 * exponentially with full jitter. Error builders mark a failure transient with {@link transientDetails}; the loop
 * ({@link withRetry}) reads that mark, so a body that cannot be re-opened is never retried by accident.
 * Reference: oras-go registry/remote/retry/policy.go;
 * https://aws.amazon.com/blogs/architecture/exponential-backoff-and-jitter/ ("full jitter").
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { AirbundleError, isAirbundleError } from '../errors.js';
import type { ProgressSink } from '../progress/events.js';

/** RetryOptions tune the policy; a value ≤ 0 means the default. */
export interface RetryOptions {
  /** Attempts in all, the first included. Default 5. */
  maxAttempts?: number;
  /** Ceiling of the first wait; it doubles per failure. Default 500 ms. */
  baseDelayMs?: number;
  /** Ceiling of any computed wait. Default 10 s. */
  maxDelayMs?: number;
  /** Longest `Retry-After` honoured. Default 5 min. */
  maxRetryAfterMs?: number;
  /** Source of randomness in [0, 1), for tests. Default Math.random. */
  random?: () => number;
}

/** RetryContext says what is being retried, for the `retry` progress event. */
export interface RetryContext {
  signal?: AbortSignal;
  onEvent?: ProgressSink;
  /** Progress phase of the events. */
  phase: string;
  /** What is being moved, e.g. `registry.local/team/model@sha256:…`. */
  item: string;
}

/** Network error codes that mean "try again" (ECONNREFUSED only counts once the host has answered). */
const TRANSIENT_ERRNO = new Set(['ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ECONNABORTED', 'EAI_AGAIN', 'UND_ERR_SOCKET', 'ERR_STREAM_PREMATURE_CLOSE']);

/** retryableStatus tells whether an HTTP status is worth retrying: 5xx, 408 Request Timeout, 429 Too Many Requests. */
export function retryableStatus(status: number): boolean {
  return status >= 500 || status === 408 || status === 429;
}

/** retryableNetworkError tells whether a socket error code is worth retrying. */
export function retryableNetworkError(errno: string | undefined, hostAnsweredBefore: boolean): boolean {
  if (errno === undefined) return false;
  if (errno === 'ECONNREFUSED') return hostAnsweredBefore;
  return TRANSIENT_ERRNO.has(errno);
}

/** parseRetryAfter reads `Retry-After` (seconds or an HTTP date) as milliseconds from `now`. */
export function parseRetryAfter(value: string | undefined, now: number = Date.now()): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** transientDetails is the mark an error builder puts in `details` so that {@link withRetry} retries the failure. */
export function transientDetails(retryAfterMs?: number): { transient: true; retryAfterMs?: number } {
  return retryAfterMs === undefined ? { transient: true } : { transient: true, retryAfterMs };
}

/** isTransient tells whether an error carries the transient mark. */
export function isTransient(err: unknown): boolean {
  return isAirbundleError(err) && err.details?.transient === true;
}

/** RetryPolicy computes waits; `withRetry` is the loop that uses it. */
export class RetryPolicy {
  readonly maxAttempts: number;
  readonly #base: number;
  readonly #max: number;
  readonly #maxRetryAfter: number;
  readonly #random: () => number;

  constructor(options: RetryOptions = {}) {
    this.maxAttempts = positive(options.maxAttempts, 5);
    this.#base = positive(options.baseDelayMs, 500);
    this.#max = positive(options.maxDelayMs, 10_000);
    this.#maxRetryAfter = positive(options.maxRetryAfterMs, 5 * 60_000);
    this.#random = options.random ?? Math.random;
  }

  /** waitMs is how long to wait after failed attempt number `attempt` (1-based), or undefined to give up. */
  waitMs(err: unknown, attempt: number): number | undefined {
    if (!isTransient(err) || attempt >= this.maxAttempts) return undefined;
    const retryAfter = (err as AirbundleError).details?.retryAfterMs;
    if (typeof retryAfter === 'number') return Math.min(retryAfter, this.#maxRetryAfter);
    const ceiling = Math.min(this.#max, this.#base * 2 ** (attempt - 1));
    return Math.floor(this.#random() * ceiling);
  }
}

/**
 * withRetry runs `fn` until it succeeds, fails with an error that is not transient, or runs out of attempts. Each
 * wait is announced as a `retry` progress event. An abort ends the loop at once with ABORTED.
 */
export async function withRetry<T>(fn: (attempt: number) => Promise<T>, policy: RetryPolicy, ctx: RetryContext): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    throwIfAborted(ctx.signal, ctx.item);
    try {
      return await fn(attempt);
    } catch (err) {
      if (ctx.signal?.aborted === true) throw abortedError(ctx.item, err);
      const waitMs = policy.waitMs(err, attempt);
      if (waitMs === undefined) throw attempt > 1 ? gaveUp(err, attempt, ctx.item) : err;
      ctx.onEvent?.({ type: 'retry', phase: ctx.phase, item: ctx.item, attempt, reason: (err as Error).message, waitMs });
      try {
        await sleep(waitMs, undefined, { signal: ctx.signal });
      } catch (abort) {
        throw abortedError(ctx.item, abort);
      }
    }
  }
}

/**
 * gaveUp says, for the last of several failed attempts, what was being moved and how many times it was tried (the
 * bare last error would read as a single failure). Same code and details; only a transient AirbundleError is restated.
 */
function gaveUp(err: unknown, attempts: number, item: string): unknown {
  if (!(err instanceof AirbundleError) || !isTransient(err)) return err;
  return new AirbundleError(err.code, `${err.message} (${item}: gave up after ${attempts} attempts)`, {
    cause: err,
    hint: err.hint ?? 'the failure persisted through every retry; check the server, then run again: what is complete is not sent again',
    ...(err.details !== undefined ? { details: err.details } : {}),
  });
}

/** throwIfAborted throws ABORTED when the signal has fired. */
export function throwIfAborted(signal: AbortSignal | undefined, what: string): void {
  if (signal?.aborted === true) throw abortedError(what, signal.reason);
}

/** abortedError is the ABORTED error for an operation on `what`. */
export function abortedError(what: string, cause: unknown): AirbundleError {
  if (isAirbundleError(cause, 'ABORTED')) return cause;
  return new AirbundleError('ABORTED', `${what}: cancelled`, { cause });
}

function positive(value: number | undefined, fallback: number): number {
  return value !== undefined && value > 0 ? value : fallback;
}
