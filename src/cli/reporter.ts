import { Listr } from 'listr2';
import type { ProgressEvent, ProgressSink } from '../progress/events.js';
import { ProgressTracker } from './progress-tracker.js';

/** Output mode of the CLI: listr2 on a TTY, plain lines off one, nothing but the result with --json. */
export type OutputMode = 'tty' | 'plain' | 'json';

/** outputMode picks the mode from flags and the terminal. */
export function outputMode(json: boolean, stream: NodeJS.WriteStream = process.stderr): OutputMode {
  if (json) return 'json';
  return stream.isTTY === true && process.env.CI === undefined ? 'tty' : 'plain';
}

/**
 * runWithProgress runs a library call and renders its progress events: a listr2 task list on a TTY (one task
 * per phase with bytes, rate and ETA), plain timestamped lines off a TTY (phase starts/ends, warnings,
 * retries and a progress line at most every few seconds), or nothing with --json (the caller prints the result).
 */
export async function runWithProgress<T>(mode: OutputMode, title: string, work: (onEvent: ProgressSink) => Promise<T>): Promise<T> {
  const tracker = new ProgressTracker();
  if (mode === 'json') return work(() => undefined);
  if (mode === 'plain') {
    let last = 0;
    const line = (s: string): void => {
      process.stderr.write(`${s}\n`);
    };
    line(`${title}`);
    return work((event: ProgressEvent) => {
      const p = tracker.apply(event);
      if (event.type === 'phase-start') line(`  ${event.title}…`);
      else if (event.type === 'phase-end' && p !== undefined) line(`  ${event.title}: done  ${tracker.describe(p)}`);
      else if (event.type === 'warn') line(`  warning: ${event.message}`);
      else if (event.type === 'info') line(`  ${event.message}`);
      else if (event.type === 'retry') line(`  retry ${event.item} (attempt ${event.attempt}): ${event.reason}`);
      else if (event.type === 'bytes' && p !== undefined && Date.now() - last > 3000) {
        last = Date.now();
        line(`  ${p.title}: ${tracker.describe(p)}`);
      }
    });
  }
  let result: T | undefined;
  const phases: string[] = [];
  const list = new Listr(
    [
      {
        title,
        task: async (_ctx, task): Promise<void> => {
          let last = 0;
          result = await work((event: ProgressEvent) => {
            const p = tracker.apply(event);
            if (p === undefined) return;
            if (event.type === 'phase-start') phases.push(event.title);
            if (event.type === 'phase-end') task.output = `${event.title}: done  ${tracker.describe(p)}`;
            else if (event.type === 'warn') task.output = `warning: ${event.message}`;
            else if (event.type === 'retry') task.output = `retry ${event.item} (attempt ${event.attempt}): ${event.reason}`;
            else if (Date.now() - last > 100) {
              last = Date.now();
              task.output = `${p.title}: ${tracker.describe(p)}`;
            }
          });
          task.title = `${title}: ${phases.join(', ')}`;
        },
        rendererOptions: { persistentOutput: true },
      },
    ],
    { concurrent: false, exitOnError: true, rendererOptions: { collapseErrors: false } },
  );
  await list.run();
  return result as T;
}
