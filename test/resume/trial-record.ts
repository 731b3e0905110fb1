/**
 * What a kill-and-resume trial measured, and the per-command summary the closing note of issue 7 quotes:
 * `bench/results/resume-<command>.json` (trials, failures, worst re-transfer) plus one printed line.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { REPO } from '../support/cli.js';
import type { TrialPlan } from '../support/kill-trial.js';

/** TrialRecord is what a trial measured, as written to bench/results/resume-<command>.json. */
export interface TrialRecord {
  command: string;
  trial: number;
  seed: string;
  kill: string;
  /** Whether the kill found the CLI still running (false: it had finished; the rerun must then send nothing). */
  killed: boolean;
  killAtMs: number;
  /** Progress when the kill landed: bytes the server saw, or bytes on disk. */
  killAtBytes: number;
  /** Bytes sent (or written) twice because of the kill, measured on the server side (or on disk). */
  reTransferredBytes: number;
  /** What DESIGN §2.4 allows for this trial (one chunk, or the blobs/files in flight at the kill). */
  bound: number;
  /** What the bound is made of. */
  boundNote: string;
  /** Assertion failures of this trial; empty when it passed. */
  failures: string[];
  [extra: string]: unknown;
}

/** newRecord starts the record of a trial; the test fills in what it measures. */
export function newRecord(plan: TrialPlan, check: Check, bound: number, boundNote: string): TrialRecord {
  return { command: plan.command, trial: plan.trial, seed: plan.seedHex, kill: plan.where, killed: false, killAtMs: 0, killAtBytes: 0, reTransferredBytes: 0, bound, boundNote, failures: check.failures };
}

/** ResumeSummary is the JSON written per command. */
export interface ResumeSummary {
  command: string;
  trials: number;
  failures: number;
  killedMidway: number;
  worstReTransferredBytes: number;
  worstTrial: number | null;
  wallMs: number;
  records: TrialRecord[];
}

/** RESULTS_DIR is where the per-command summaries go (gitignored, except its .gitkeep). */
export const RESULTS_DIR = join(REPO, 'bench', 'results');

/** writeSummary prints one line for the command and writes `bench/results/resume-<command>.json`. */
export async function writeSummary(command: string, records: TrialRecord[], startedAt: number): Promise<ResumeSummary> {
  const worst = records.reduce<TrialRecord | undefined>((w, r) => (w === undefined || r.reTransferredBytes > w.reTransferredBytes ? r : w), undefined);
  const summary: ResumeSummary = {
    command,
    trials: records.length,
    failures: records.filter((r) => r.failures.length > 0).length,
    killedMidway: records.filter((r) => r.killed).length,
    worstReTransferredBytes: worst?.reTransferredBytes ?? 0,
    worstTrial: worst?.trial ?? null,
    wallMs: Date.now() - startedAt,
    records,
  };
  await mkdir(RESULTS_DIR, { recursive: true });
  await writeFile(join(RESULTS_DIR, `resume-${command}.json`), `${JSON.stringify(summary, null, 2)}\n`);
  const bound = worst === undefined ? '' : ` (bound ${worst.bound} B: ${worst.boundNote})`;
  console.log(
    `resume ${command}: ${summary.trials} trials, ${summary.failures} failed, ${summary.killedMidway} killed mid-run, worst re-transfer ${summary.worstReTransferredBytes} B in trial ${summary.worstTrial ?? '-'}${bound}, ${(summary.wallMs / 1000).toFixed(1)} s`,
  );
  return summary;
}

/**
 * Check collects the failed expectations of one trial instead of stopping at the first, so every trial runs and
 * the summary counts failures; the test asserts at the end that there were none.
 */
export class Check {
  readonly failures: string[] = [];
  readonly #label: string;

  constructor(label: string) {
    this.#label = label;
  }

  /** that records `message` unless `ok`. */
  that(ok: boolean, message: string): void {
    if (!ok) this.failures.push(`${this.#label} ${message}`);
  }

  /** error records an exception thrown by the trial itself. */
  error(err: unknown): void {
    this.failures.push(`${this.#label} threw: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  }
}
