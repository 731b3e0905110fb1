import { describe, expect, it } from 'vitest';
import { IdleWatchdog, formatSeconds } from '../../src/util/idle-watchdog.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('IdleWatchdog', () => {
  it('fires after a silence of its period, with a message saying how long', async () => {
    const w = new IdleWatchdog(80);
    await new Promise((r) => w.signal.addEventListener('abort', r));
    expect(w.fired).toBe(true);
    expect(String((w.signal.reason as Error).message)).toBe('no data for 0.1 s');
  });

  it('does not fire while kicked more often than its period, nor after stop', async () => {
    // Kicked every 50 ms for 1.5 s, longer than the 1 s period: only the kicks keep it quiet.
    const w = new IdleWatchdog(1000);
    for (let i = 0; i < 30; i++) {
      await sleep(50);
      w.kick();
    }
    expect(w.fired).toBe(false);
    w.stop();
    await sleep(1300);
    expect(w.fired).toBe(false);
  });

  it('follows its parent signal without counting it as a stall', () => {
    const parent = new AbortController();
    const w = new IdleWatchdog(10_000, parent.signal);
    parent.abort(new Error('cancelled'));
    expect(w.signal.aborted).toBe(true);
    expect(w.fired).toBe(false);
    w.stop();
  });

  it('formats seconds as people write them', () => {
    expect(formatSeconds(120_000)).toBe('120 s');
    expect(formatSeconds(1500)).toBe('1.5 s');
  });
});
