/**
 * ProgressEvent is everything the library reports while it works. The library never prints: verbs take an
 * `onEvent` callback, and the CLI renders the events (listr2 on a TTY, plain lines off one, NDJSON with --json).
 */
export type ProgressEvent =
  | { type: 'phase-start'; phase: string; title: string; total?: number }
  | { type: 'phase-end'; phase: string; title: string }
  | { type: 'bytes'; phase: string; item: string; done: number; total: number }
  | { type: 'item-start'; phase: string; item: string; total: number }
  | { type: 'item-end'; phase: string; item: string; cached?: boolean; skipped?: boolean }
  | { type: 'info'; phase: string; message: string }
  | { type: 'warn'; phase: string; message: string }
  | { type: 'retry'; phase: string; item: string; attempt: number; reason: string; waitMs: number };

/** ProgressSink receives progress events. */
export type ProgressSink = (event: ProgressEvent) => void;

/** noProgress discards events. */
export const noProgress: ProgressSink = () => undefined;
