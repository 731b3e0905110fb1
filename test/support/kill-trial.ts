/**
 * Kill-and-resume trials (DESIGN §2.4 "Everything resumes"): start the built `bundle` CLI, wait for a seeded kill
 * point, SIGKILL it (no chance to clean up), and let the test rerun the same command and measure what was sent
 * twice. Kill points are seeded (the seed is a pure function of command and trial number, printed in every
 * assertion message), so a failing trial is reproduced with `RESUME_ONLY=<trial> npx vitest run test/resume/…`
 * (RESUME_TRIALS=<n> runs more or fewer trials, RESUME_LANES=<n> that many at once).
 *
 * Kill points follow observed progress (bytes a server sent or received, bytes on disk) rather than wall time, so
 * they mean the same thing on a loaded machine: every tenth trial dies right after start, every tenth near the end,
 * the rest at a seeded fraction of the transfer. For fast local work (a push over loopback, materialize) the
 * child can run in short SIGCONT/SIGSTOP steps with progress measured while it stands still, so the kill lands
 * close to its seeded point on a loaded machine too.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { REPO } from './cli.js';
import { pseudoRandom } from './pseudo-random.js';

/** LANES is how many trials run at once (RESUME_LANES, default 2): the CLI's start-up is CPU work, waits are not. */
export const LANES = Math.max(1, Number(process.env.RESUME_LANES ?? 2));

/**
 * runLanes runs the trials over `lanes` (each with its own servers, so what a server logs belongs to one trial),
 * one trial per lane at a time, and returns the records in trial order. Which lane runs a trial does not matter:
 * lanes are alike, and a trial's kill point depends on its seed only.
 */
export async function runLanes<L, R>(plans: TrialPlan[], lanes: L[], run: (plan: TrialPlan, lane: L) => Promise<R>): Promise<R[]> {
  const records: R[] = [];
  let next = 0;
  await Promise.all(
    lanes.map(async (lane) => {
      for (let i = next++; i < plans.length; i = next++) records[i] = await run(plans[i]!, lane);
    }),
  );
  return records;
}

/** KillPoint says when a trial kills the CLI: after a delay from start, or once progress reached a fraction. */
export type KillPoint = { kind: 'start'; delayMs: number } | { kind: 'progress' | 'end'; fraction: number; delayMs: number };

/** TrialPlan is one trial: its number, seed, kill point and a generator for any other seeded choice. */
export interface TrialPlan {
  command: string;
  trial: number;
  seed: number;
  kill: KillPoint;
  /** Seeded uniform numbers in [0, 1), for choices beyond the kill point (a -j value, a layout). */
  random: () => number;
  /** The seed in hex, `0x1a2b3c4d`. */
  seedHex: string;
  /** The kill point in words: `start+120ms`, `progress@42.0%+13ms`, `end@98.5%+40ms`. */
  where: string;
  /** `[push trial 7 seed 0x1a2b3c4d kill progress@42.0%+13ms]`, for assertion messages. */
  label: string;
}

/** seedOf is the seed of a trial: FNV-1a of `command#trial`, never 0 (xorshift would stay at 0). */
export function seedOf(command: string, trial: number): number {
  let h = 0x811c9dc5;
  for (const c of Buffer.from(`${command}#${trial}`)) h = Math.imul(h ^ c, 0x01000193) >>> 0;
  return h === 0 ? 1 : h;
}

/** seededRandom turns the deterministic byte generator of pseudo-random.ts into uniform numbers in [0, 1). */
export function seededRandom(seed: number): () => number {
  const pool = pseudoRandom(1024, seed);
  let at = 0;
  return () => {
    if (at + 4 > pool.length) throw new Error(`seededRandom(${seed}): more than ${pool.length / 4} draws`);
    const v = pool.readUInt32LE(at) / 2 ** 32;
    at += 4;
    return v;
  };
}

/**
 * planTrials makes `count` trials for a command (RESUME_TRIALS overrides the count; RESUME_ONLY=3,7 keeps only
 * those trial numbers). Trial 0, 10, 20… die right after start; 9, 19, 29… near the end of the transfer.
 */
export function planTrials(command: string, count: number): TrialPlan[] {
  const n = Number(process.env.RESUME_TRIALS ?? count);
  const only = process.env.RESUME_ONLY?.split(',').map(Number);
  const plans: TrialPlan[] = [];
  for (let trial = 0; trial < n; trial += 1) {
    if (only !== undefined && !only.includes(trial)) continue;
    const seed = seedOf(command, trial);
    const random = seededRandom(seed);
    let kill: KillPoint;
    if (trial % 10 === 0) kill = { kind: 'start', delayMs: Math.floor(random() * 400) };
    else if (trial % 10 === 9) kill = { kind: 'end', fraction: 0.97 + 0.03 * random(), delayMs: Math.floor(random() * 400) };
    else kill = { kind: 'progress', fraction: 0.02 + 0.93 * random(), delayMs: Math.floor(random() * 20) };
    const where = kill.kind === 'start' ? `start+${kill.delayMs}ms` : `${kill.kind}@${(kill.fraction * 100).toFixed(1)}%+${kill.delayMs}ms`;
    const seedHex = `0x${seed.toString(16).padStart(8, '0')}`;
    plans.push({ command, trial, seed, kill, random, seedHex, where, label: `[${command} trial ${trial} seed ${seedHex} kill ${where}]` });
  }
  return plans;
}

/** CliChild is a running `bundle` process that a trial can stop, continue and kill. */
export class CliChild {
  readonly #child: ChildProcess;
  readonly startedAt = Date.now();
  /** Resolves with the exit code (null when killed by a signal) once the process is gone. */
  readonly exited: Promise<number | null>;
  #output = '';
  #running = true;

  private constructor(child: ChildProcess) {
    this.#child = child;
    child.stdout?.on('data', (d: Buffer) => (this.#output += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (this.#output += d.toString()));
    this.exited = new Promise((resolve) =>
      child.on('exit', (code) => {
        this.#running = false;
        resolve(code);
      }),
    );
  }

  /** spawn starts `bundle ARGS` from bin/bundle.js (the built dist/), off a TTY. */
  static spawn(args: string[], env: NodeJS.ProcessEnv = {}): CliChild {
    const child = spawn(process.execPath, [join(REPO, 'bin', 'bundle.js'), ...args], { env: { ...process.env, CI: '1', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    return new CliChild(child);
  }

  /** running is true until the process has exited. */
  get running(): boolean {
    return this.#running;
  }

  /** output is what the process printed so far (stdout and stderr). */
  output(): string {
    return this.#output;
  }

  /** kill sends SIGKILL and waits for the exit; false when the process had already exited on its own. */
  async kill(): Promise<boolean> {
    const alive = this.#running;
    if (alive) this.#child.kill('SIGKILL');
    await this.exited;
    return alive;
  }

  /** stop freezes the process (SIGSTOP) and waits until every thread of it is stopped. */
  async stop(): Promise<void> {
    if (!this.#running) return;
    this.#child.kill('SIGSTOP');
    await waitStopped(this.#child.pid ?? 0, () => this.#running);
  }

  /** cont lets a stopped process run again. */
  cont(): void {
    if (this.#running) this.#child.kill('SIGCONT');
  }
}

/** waitStopped polls /proc until every task of `pid` is in state T (stopped), or the process is gone. */
async function waitStopped(pid: number, running: () => boolean): Promise<void> {
  for (let i = 0; i < 2000 && running(); i += 1) {
    const tasks = await readdir(`/proc/${pid}/task`).catch(() => [] as string[]);
    const states = await Promise.all(tasks.map((t) => readFile(`/proc/${pid}/task/${t}/stat`, 'utf8').catch(() => '')));
    // Field 3 follows the parenthesised command name, which may itself hold spaces.
    if (states.every((s) => /\)\s+([tTXZ])\s/.test(s) || s === '')) return;
    await sleep(1);
  }
}

/** KillOutcome says whether the kill found the process alive, and when it landed. */
export interface KillOutcome {
  /** False when the process had exited on its own before the kill point (it must then have succeeded). */
  killed: boolean;
  atMs: number;
  exitCode: number | null;
}

/** KillOptions for {@link killAt}. */
export interface KillOptions {
  /** Milliseconds between checks of progress when not stepping. Default 2. */
  pollMs?: number;
  /**
   * Run the child in steps of this many milliseconds (SIGCONT, wait, SIGSTOP, measure), so fast local work is
   * caught close to the kill point and progress is read while the child stands still. Default: no stepping.
   */
  stepMs?: number;
  /** Let the child run freely until this holds (its start-up, before the work begins). */
  startWhen?: () => boolean | Promise<boolean>;
  /** Give up waiting for the kill point after this long (the CLI is then killed anyway). Default 60 s. */
  timeoutMs?: number;
}

/**
 * killAt SIGKILLs the child at a trial's kill point. `progress()` is the fraction of the work done in [0, 1]
 * (what a server saw, or what is on disk); a `start` point ignores it and kills after its delay. After the point
 * is reached the child runs `delayMs` more, then dies with no chance to clean up.
 */
export async function killAt(child: CliChild, kill: KillPoint, progress: () => number | Promise<number>, options: KillOptions = {}): Promise<KillOutcome> {
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  try {
    if (kill.kind !== 'start') {
      while (child.running && options.startWhen !== undefined && !(await options.startWhen()) && Date.now() < deadline) await sleep(1);
      const step = options.stepMs;
      while (child.running && Date.now() < deadline) {
        if (step !== undefined) await child.stop();
        if ((await progress()) >= kill.fraction) break;
        if (step !== undefined) child.cont();
        await sleep(step ?? options.pollMs ?? 2);
      }
    }
    if (kill.delayMs > 0 && child.running) {
      child.cont();
      await sleep(kill.delayMs);
    }
  } catch (err) {
    await child.kill(); // never leave a stopped child behind
    throw err;
  }
  const killed = await child.kill();
  return { killed, atMs: Date.now() - child.startedAt, exitCode: await child.exited };
}
