import type { ProgressEvent } from '../progress/events.js';
import { formatBytes, formatDuration } from '../util/bytes.js';

/** PhaseProgress is what the CLI shows for one phase: bytes, rate and ETA. */
export interface PhaseProgress {
  phase: string;
  title: string;
  done: number;
  total: number;
  items: number;
  cached: number;
  startedAt: number;
}

/** Rate and ETA are shown once a phase has run this long. */
const MIN_RATE_SECONDS = 1;

/**
 * ProgressTracker folds library events into per-phase byte counts, so the renderers can show bytes, rate and
 * ETA. Per-item `bytes` events carry a running count for the item; the tracker sums items.
 */
export class ProgressTracker {
  readonly #phases = new Map<string, PhaseProgress>();
  readonly #itemDone = new Map<string, number>();
  readonly #now: () => number;

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  /** apply folds one event in and returns the phase it touched. */
  apply(event: ProgressEvent): PhaseProgress | undefined {
    const phase = this.#phase(event.phase, event.type === 'phase-start' ? event.title : undefined);
    switch (event.type) {
      case 'phase-start':
        phase.total = event.total ?? 0;
        phase.startedAt = this.#now();
        break;
      case 'item-start':
        if (event.phase !== 'write' && event.phase !== 'verify' && event.phase !== 'export') phase.total += event.total;
        break;
      case 'bytes': {
        if (event.item === 'all') {
          phase.done = event.done;
          phase.total = event.total;
          break;
        }
        const key = `${event.phase}\0${event.item}`;
        phase.done += event.done - (this.#itemDone.get(key) ?? 0);
        this.#itemDone.set(key, event.done);
        break;
      }
      case 'item-end':
        phase.items += 1;
        if (event.cached === true || event.skipped === true) phase.cached += 1;
        break;
      default:
        break;
    }
    return phase;
  }

  #phase(name: string, title: string | undefined): PhaseProgress {
    let p = this.#phases.get(name);
    if (p === undefined) {
      p = { phase: name, title: title ?? name, done: 0, total: 0, items: 0, cached: 0, startedAt: this.#now() };
      this.#phases.set(name, p);
    }
    if (title !== undefined) p.title = title;
    return p;
  }

  /** describe renders a phase as `1.2 GiB / 4.0 GiB  210 MiB/s  ETA 14s`. */
  describe(p: PhaseProgress): string {
    if (p.total === 0 && p.done === 0) return p.cached > 0 ? `${p.cached} cached` : '';
    const elapsed = Math.max((this.#now() - p.startedAt) / 1000, 0.001);
    const rate = p.done / elapsed;
    const parts = [p.total > 0 ? `${formatBytes(p.done)} / ${formatBytes(p.total)}` : formatBytes(p.done)];
    // A rate from the first fraction of a second (one small read after start-up) is noise, and so its ETA.
    if (p.done > 0 && elapsed >= MIN_RATE_SECONDS) {
      parts.push(`${formatBytes(rate)}/s`);
      if (p.total > p.done) parts.push(`ETA ${formatDuration((p.total - p.done) / rate)}`);
    }
    if (p.cached > 0) parts.push(`${p.cached} cached`);
    return parts.join('  ');
  }
}
