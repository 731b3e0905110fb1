import { describe, expect, it } from 'vitest';
import { ProgressTracker } from '../../src/cli/progress-tracker.js';

describe('ProgressTracker', () => {
  it('sums per-item byte counts and shows rate and ETA once the phase has run a second', () => {
    let now = 0;
    const t = new ProgressTracker(() => now);
    t.apply({ type: 'phase-start', phase: 'push', title: 'Push', total: 4 * 1024 * 1024 });
    now = 100;
    const early = t.apply({ type: 'bytes', phase: 'push', item: 'a', done: 512, total: 1024 * 1024 })!;
    expect(t.describe(early)).toBe('512 B / 4.00 MiB');
    now = 2000;
    t.apply({ type: 'bytes', phase: 'push', item: 'a', done: 1024 * 1024, total: 1024 * 1024 });
    const p = t.apply({ type: 'bytes', phase: 'push', item: 'b', done: 1024 * 1024, total: 3 * 1024 * 1024 })!;
    expect(p.done).toBe(2 * 1024 * 1024);
    expect(t.describe(p)).toBe('2.00 MiB / 4.00 MiB  1.00 MiB/s  ETA 2s');
  });
});
