import { describe, expect, it } from 'vitest';
import { AirbundleError } from '../../src/errors.js';
import { RetryPolicy, parseRetryAfter, retryableNetworkError, retryableStatus, withRetry } from '../../src/oci/index.js';
import type { ProgressEvent } from '../../src/progress/events.js';
import { expectCode } from '../support/matchers.js';

const transient = (msg = 'boom', retryAfterMs?: number): AirbundleError =>
  new AirbundleError('REGISTRY_ERROR', msg, { details: { transient: true, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) } });

describe('retry policy', () => {
  it('retries 5xx, 408 and 429 only', () => {
    expect([500, 502, 503, 504, 408, 429].every(retryableStatus)).toBe(true);
    expect([400, 401, 403, 404, 409, 416].some(retryableStatus)).toBe(false);
  });

  it('retries resets and timeouts, and a refused connection only once the host has answered', () => {
    expect(retryableNetworkError('ECONNRESET', false)).toBe(true);
    expect(retryableNetworkError('ETIMEDOUT', false)).toBe(true);
    expect(retryableNetworkError('ECONNREFUSED', false)).toBe(false);
    expect(retryableNetworkError('ECONNREFUSED', true)).toBe(true);
    expect(retryableNetworkError('ENOTFOUND', true)).toBe(false);
    expect(retryableNetworkError('DEPTH_ZERO_SELF_SIGNED_CERT', true)).toBe(false);
  });

  it('reads Retry-After as seconds or a date', () => {
    expect(parseRetryAfter('3')).toBe(3000);
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:05 GMT', now)).toBe(5000);
    expect(parseRetryAfter('soon')).toBeUndefined();
    expect(parseRetryAfter(undefined)).toBeUndefined();
  });

  it('backs off exponentially with full jitter, capped', () => {
    const policy = new RetryPolicy({ baseDelayMs: 100, maxDelayMs: 300, maxAttempts: 10, random: () => 0.999 });
    expect([1, 2, 3, 4].map((a) => policy.waitMs(transient(), a))).toEqual([99, 199, 299, 299]);
    expect(new RetryPolicy({ random: () => 0 }).waitMs(transient(), 1)).toBe(0);
    expect(policy.waitMs(transient('x', 2500), 1)).toBe(2500);
    expect(policy.waitMs(new AirbundleError('REGISTRY_ERROR', 'permanent'), 1)).toBeUndefined();
    expect(policy.waitMs(new Error('plain'), 1)).toBeUndefined();
    expect(new RetryPolicy({ maxAttempts: 2 }).waitMs(transient(), 2)).toBeUndefined();
  });
});

describe('withRetry', () => {
  const ctx = (events: ProgressEvent[], signal?: AbortSignal) => ({ phase: 'push', item: 'h/r@d', onEvent: (e: ProgressEvent) => events.push(e), ...(signal ? { signal } : {}) });

  it('runs again after transient failures and reports each wait', async () => {
    const events: ProgressEvent[] = [];
    let calls = 0;
    const result = await withRetry(
      async (attempt) => {
        calls += 1;
        if (attempt < 3) throw transient(`fail ${attempt}`);
        return 'ok';
      },
      new RetryPolicy({ baseDelayMs: 1 }),
      ctx(events),
    );
    expect(result).toBe('ok');
    expect(calls).toBe(3);
    expect(events).toEqual([
      { type: 'retry', phase: 'push', item: 'h/r@d', attempt: 1, reason: 'fail 1', waitMs: expect.any(Number) },
      { type: 'retry', phase: 'push', item: 'h/r@d', attempt: 2, reason: 'fail 2', waitMs: expect.any(Number) },
    ]);
  });

  it('when retries run out, says what was moved and how often it was tried, keeping the code and details', async () => {
    const err = await expectCode(
      withRetry(async () => { throw transient('cannot reach registry h: ECONNRESET'); }, new RetryPolicy({ maxAttempts: 3, baseDelayMs: 1 }), ctx([])),
      'REGISTRY_ERROR',
    );
    expect(err.message).toBe('cannot reach registry h: ECONNRESET (h/r@d: gave up after 3 attempts)');
    expect(err.details).toMatchObject({ transient: true });
    expect(err.hint).toMatch(/run again/);
  });

  it('does not retry other errors', async () => {
    let calls = 0;
    await expect(withRetry(async () => { calls += 1; throw new Error('bug'); }, new RetryPolicy(), ctx([]))).rejects.toThrow('bug');
    expect(calls).toBe(1);
  });

  it('ends a wait at once with ABORTED when the signal fires', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 20);
    const t0 = Date.now();
    await expectCode(withRetry(async () => { throw transient('x', 60_000); }, new RetryPolicy(), ctx([], controller.signal)), 'ABORTED');
    expect(Date.now() - t0).toBeLessThan(2000);
  });
});
