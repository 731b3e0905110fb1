/** DEFAULT_IDLE_TIMEOUT_MS: how long a connection may send or take nothing before it is dropped (`--timeout`). */
export const DEFAULT_IDLE_TIMEOUT_MS = 120_000;

/** idleTimeoutOf is the idle timeout to use: `ms` when positive, else {@link DEFAULT_IDLE_TIMEOUT_MS}. */
export function idleTimeoutOf(ms: number | undefined): number {
  return ms !== undefined && ms > 0 ? ms : DEFAULT_IDLE_TIMEOUT_MS;
}

/**
 * IdleWatchdog aborts a transfer that goes silent: its `signal` fires when `kick` has not been called for `ms`
 * (a stalled server, or a connection a middlebox dropped without a reset, which would otherwise hang until the
 * runtime's own timeouts of several minutes). It follows `parent` too, so one signal serves both the caller's
 * cancel and the stall. `fired` tells a stall from a cancel.
 */
export class IdleWatchdog {
  readonly signal: AbortSignal;
  readonly #controller = new AbortController();
  readonly #ms: number;
  readonly #timer: NodeJS.Timeout;
  #last = Date.now();

  constructor(ms: number, parent?: AbortSignal) {
    this.#ms = ms;
    this.signal = parent === undefined ? this.#controller.signal : AbortSignal.any([parent, this.#controller.signal]);
    // One timer that looks a few times per period, rather than one re-armed per slice received: `kick` runs for
    // every 16-64 KiB of a download and must cost next to nothing. A stall is seen within 1.25 periods.
    this.#timer = setInterval(() => {
      if (Date.now() - this.#last >= this.#ms) {
        clearInterval(this.#timer);
        this.#controller.abort(new Error(`no data for ${formatSeconds(this.#ms)}`));
      }
    }, Math.max(10, Math.floor(ms / 4)));
    this.#timer.unref();
  }

  /** fired is true once the transfer was aborted for being silent. */
  get fired(): boolean {
    return this.#controller.signal.aborted;
  }

  /** kick says the transfer made progress: the silence is counted again from now. */
  kick(): void {
    this.#last = Date.now();
  }

  /** stop ends the watch (the transfer is over). */
  stop(): void {
    clearInterval(this.#timer);
  }
}

/**
 * watchIdle runs one transfer attempt under a watchdog of `ms` (default {@link DEFAULT_IDLE_TIMEOUT_MS}) that also
 * follows `parent`: `work` gets the watchdog, passes its `signal` to the transfer and kicks it on progress. When the
 * watchdog ended the attempt (not a cancel), what it threw is replaced by `silent(err, ms)`.
 */
export async function watchIdle<T>(
  ms: number | undefined,
  parent: AbortSignal | undefined,
  work: (watchdog: IdleWatchdog) => Promise<T>,
  silent: (err: unknown, ms: number) => Error,
): Promise<T> {
  const idleMs = idleTimeoutOf(ms);
  const watchdog = new IdleWatchdog(idleMs, parent);
  try {
    return await work(watchdog);
  } catch (err) {
    if (!watchdog.fired || parent?.aborted === true) throw err;
    throw silent(err, idleMs);
  } finally {
    watchdog.stop();
  }
}

/** formatSeconds says a duration as people say it in an error message: `120 s`, `1.5 s`. */
export function formatSeconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(1))} s`;
}
