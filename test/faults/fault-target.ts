/**
 * FaultTarget is what the fault matrix needs of a CLI operation: where the proxy forwards to, which request
 * carries the big body (the one faults strike), a way to run the CLI through the proxy, and two checks that
 * return problems as sentences (none means all is well), so one table-driven test body serves every target.
 */
import type { ExpectStatic } from 'vitest';
import type { CliResult } from '../support/cli.js';
import type { Outcome } from './fault-cases.js';
import type { Direction, FaultProxy, RequestInfo } from '../support/fault-proxy.js';

/** FaultTarget is one CLI operation run through the fault proxy. */
export interface FaultTarget {
  /** `host:port` the proxy forwards to. */
  upstream: string;
  /** Which body the faults act on: the request body of an upload, the response body of a download. */
  direction: Direction;
  /** bigBody tells the request that carries the big body. */
  bigBody: (q: RequestInfo) => boolean;
  /** run runs the CLI through `proxy`, keeping the output of case `name` apart from the others; `flags` are added to its command line. */
  run(proxy: FaultProxy, name: string, flags?: string[]): Promise<CaseRun>;
  stop(): Promise<void>;
}

/** CaseRun is one run of the CLI and the checks of what it left. */
export interface CaseRun {
  result: CliResult;
  /** What a failure's message must name (the registry, the file). */
  subjects: string[];
  /** successProblems checks a successful run's result byte for byte. */
  successProblems(): Promise<string[]>;
  /** leftoverProblems checks that a failed run left nothing corrupt or half-done where a user would look. */
  leftoverProblems(): Promise<string[]>;
}

/** errorCodeOf is the code of a failed `--json` run, when stdout's JSON and stderr's `error [CODE]` agree. */
export function errorCodeOf(r: CliResult): string | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(r.stdout);
  } catch {
    return undefined;
  }
  const code = (parsed as { error?: { code?: unknown } } | null)?.error?.code;
  return typeof code === 'string' && r.stderr.includes(`error [${code}]`) ? code : undefined;
}

/**
 * expectOutcome checks that a run ended as `outcome` says: exit 0 and a byte-exact result, or exit 1 with that code
 * (stderr and JSON), every one of `subjects` named, and nothing corrupt or half-done left.
 */
export async function expectOutcome(expect: ExpectStatic, run: CaseRun, outcome: Outcome, subjects: string[] = run.subjects): Promise<void> {
  const { result } = run;
  if (outcome === 'ok') {
    expect(result.code, result.stderr).toBe(0);
    expect(await run.successProblems()).toEqual([]);
    return;
  }
  expect(result.code, result.stdout + result.stderr).toBe(1);
  expect(errorCodeOf(result), result.stderr).toBe(outcome);
  for (const subject of subjects) expect(result.stderr).toContain(subject);
  expect(await run.leftoverProblems()).toEqual([]);
}
