/**
 * Running one command of the bench and measuring it: wall time from here, and from the kernel through GNU time
 * (`/usr/bin/time -f`) the peak RSS and the bytes written to storage of the command and every child it waited
 * for. GNU time's %O is getrusage's ru_oublock, which Linux derives from the same counter as /proc/PID/io
 * write_bytes (bytes whose page-cache pages the process dirtied, counted when dirtied, in 512-byte units): a file
 * written and deleted before it reaches the disk still counts, so "0 written" means nothing was written at all.
 * scripts/measure-memory.ts and test/zarf/package-disk.test.ts measure the same two counters.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Run is what one command cost. */
export interface Run {
  seconds: number;
  /** Peak resident set size of the largest process of the command (GNU time %M). */
  peakRssBytes: number;
  /** Bytes the command and its children wrote to storage (GNU time %O × 512). */
  writtenBytes: number;
  /** User + system CPU seconds: less sensitive than wall time to other work on the machine. */
  cpuSeconds: number;
}

const statsDir = mkdtempSync(join(tmpdir(), 'airbundle-bench-time-'));
process.on('exit', () => rmSync(statsDir, { recursive: true, force: true }));
let statsFiles = 0;

/** timeArgs wraps a command in GNU time, its numbers going to a file of their own (never mixed with output). */
function timeArgs(cmd: string, args: string[]): { file: string; argv: string[] } {
  statsFiles += 1;
  const file = join(statsDir, `${statsFiles}.txt`);
  return { file, argv: ['-o', file, '-f', '%e %M %O %U %S', cmd, ...args] };
}

function readStats(file: string, seconds: number): Run {
  const fields = readFileSync(file, 'utf8').trim().split('\n').pop()!.split(' ').map(Number);
  const [, rssKiB, blocks, user, sys] = fields;
  if (fields.length !== 5 || fields.some((n) => !Number.isFinite(n))) throw new Error(`GNU time wrote something unexpected in ${file}`);
  return { seconds, peakRssBytes: rssKiB! * 1024, writtenBytes: blocks! * 512, cpuSeconds: user! + sys! };
}

function label(cmd: string, args: string[]): string {
  const shown = cmd === process.execPath ? ['bundle', ...args.slice(1, 3)] : [cmd, ...args.slice(0, 2)];
  return shown.join(' ').slice(0, 100);
}

/** inSequence is two commands run one after the other, counted as one. */
export function inSequence(a: Run, b: Run): Run {
  return {
    seconds: a.seconds + b.seconds,
    peakRssBytes: Math.max(a.peakRssBytes, b.peakRssBytes),
    writtenBytes: a.writtenBytes + b.writtenBytes,
    cpuSeconds: a.cpuSeconds + b.cpuSeconds,
  };
}

/** timed runs a command to the end and measures it; async, since the servers it talks to run in this process. */
export async function timed(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
  process.stderr.write(`bench: ${label(cmd, args)}…\n`);
  const { file, argv } = timeArgs(cmd, args);
  const started = process.hrtime.bigint();
  const child = spawn('/usr/bin/time', argv, { env: { ...process.env, CI: '1', ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  const [status] = (await once(child, 'close')) as [number | null];
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (status !== 0) throw new Error(`${cmd} ${args.join(' ').slice(0, 300)} failed (${status}):\n${stderr}`);
  return readStats(file, seconds);
}

/** Background is a long-running command (a server) measured from start to stop. */
export interface Background {
  /** The first line the command printed on stdout. */
  firstLine: Promise<string>;
  /** stop sends SIGTERM to the command (not to GNU time, which would die without reporting) and measures it. */
  stop(): Promise<Run>;
}

/** background starts a command under GNU time and leaves it running. */
export function background(cmd: string, args: string[]): Background {
  process.stderr.write(`bench: ${label(cmd, args)} (in the background)…\n`);
  const { file, argv } = timeArgs(cmd, args);
  const started = process.hrtime.bigint();
  const time = spawn('/usr/bin/time', argv, { env: { ...process.env, CI: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  time.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  const closed = once(time, 'close') as Promise<[number | null]>;
  const firstLine = new Promise<string>((resolve, reject) => {
    let out: string | undefined = '';
    // Read everything (a full pipe would stall the server); keep only up to the first line.
    time.stdout!.on('data', (d: Buffer) => {
      if (out === undefined) return;
      out += d.toString();
      const nl = out.indexOf('\n');
      if (nl >= 0) {
        resolve(out.slice(0, nl));
        out = undefined;
      }
    });
    void closed.then(([status]) => reject(new Error(`${cmd} exited (${status}) before printing a line:\n${stderr}`)));
  });
  firstLine.catch(() => undefined);
  return {
    firstLine,
    stop: async () => {
      const pid = childOf(time);
      if (pid !== undefined) process.kill(pid, 'SIGTERM');
      const killer = setTimeout(() => {
        if (pid !== undefined) process.kill(pid, 'SIGKILL');
      }, 15_000);
      const [status] = await closed;
      clearTimeout(killer);
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      if (status !== 0) throw new Error(`${cmd} ${args.join(' ').slice(0, 300)} did not stop cleanly (${status}):\n${stderr}`);
      return readStats(file, seconds);
    },
  };
}

/** childOf reads the one child GNU time started, from /proc (Linux 3.5+). */
function childOf(time: ChildProcess): number | undefined {
  if (time.pid === undefined || time.exitCode !== null) return undefined;
  let text: string;
  try {
    text = readFileSync(`/proc/${time.pid}/task/${time.pid}/children`, 'utf8').trim();
  } catch {
    return undefined;
  }
  const pid = Number(text.split(' ')[0]);
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}
