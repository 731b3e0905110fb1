/** The bench's results: rows of measured runs, DESIGN §11 goals judged from them, a table and a JSON record. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Machine } from './machine.js';
import type { Run } from './measure.js';

const MIB = 1024 * 1024;

/** Job is a row group of the table. */
export type Job = 'build' | 'verify' | 'push' | 'serve' | 'materialize';

/** Row is one measured command: ours, or the reference it is compared with (null: not measured). */
export interface Row {
  job: Job;
  tool: string;
  /** How ratios name this reference (default: the first two words of `tool`). */
  short?: string;
  ours: boolean;
  /** Bytes the job moves (for the rate). */
  bytes: number;
  seconds: number;
  cpuSeconds: number;
  peakRssBytes: number | null;
  writtenBytes: number | null;
  /** Size of what the job produced, where that says something (the .tar.zst of a build). */
  outputBytes?: number;
}

/** Goal is one target of DESIGN §11 (or §2), judged from the rows; `met` is undefined when not measured here. */
export interface Goal {
  goal: string;
  target: string;
  measured: string;
  met: boolean | undefined;
}

/** Results collects rows and goals as the bench runs. */
export class Results {
  readonly rows: Row[] = [];
  readonly goals: Goal[] = [];

  /** add records a run and returns it as a row; `process: false` leaves out its memory and disk (another process's). */
  add(job: Job, tool: string, ours: boolean, bytes: number, run: Run, process = true): Row {
    const row: Row = { job, tool, ours, bytes, ...run };
    if (!process) {
      row.peakRssBytes = null;
      row.writtenBytes = null;
    }
    this.rows.push(row);
    return row;
  }

  /** judge records a goal; `met` undefined means it could not be measured in this run. */
  judge(goal: string, target: string, measured: string, met: boolean | undefined): void {
    this.goals.push({ goal, target, measured, met });
  }
}

/** speedRatio is how many times faster `ours` ran than `reference` (above 1: ours is faster). */
export function speedRatio(ours: Pick<Run, 'seconds'>, reference: Pick<Run, 'seconds'>): number {
  return reference.seconds / ours.seconds;
}

/** formatBytes prints a byte count in binary units. */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u += 1;
  }
  return `${v.toFixed(v < 10 ? 2 : v < 100 ? 1 : 0)} ${units[u]}`;
}

const maybe = (n: number | null): string => (n === null ? '–' : formatBytes(n));

/** table renders the rows: each of ours followed by its ratio to every reference of the same job. */
export function table(results: Results): string {
  const header = ['job', 'tool', 'wall', 'rate', 'peak RSS', 'written', 'ours vs reference'];
  const lines = results.rows.map((r) => {
    const refs = results.rows.filter((x) => x.job === r.job && !x.ours);
    const ratio = r.ours ? refs.map((x) => `${speedRatio(r, x).toFixed(2)}× ${x.short ?? x.tool.split(' ').slice(0, 2).join(' ')}`).join(', ') : 'reference';
    return [r.job, r.tool, `${r.seconds.toFixed(2)} s`, `${(r.bytes / MIB / r.seconds).toFixed(0)} MiB/s`, maybe(r.peakRssBytes), maybe(r.writtenBytes), ratio];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const fmt = (cells: string[]): string => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [fmt(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...lines.map(fmt)].join('\n');
}

/** goalLines renders the goals, one line each, met / NOT MET / not measured. */
export function goalLines(results: Results): string {
  return results.goals
    .map((g) => `${g.met === undefined ? 'not measured' : g.met ? 'met    ' : 'NOT MET'}  ${g.goal}: ${g.target}; measured ${g.measured}`)
    .join('\n');
}

/** Record is the JSON written for a run. */
export interface Record {
  bench: 'airbundle';
  version: string;
  commit: string;
  date: string;
  size: { label: string; bytes: number; shards: number };
  zstdLevel: number;
  data: string;
  references: { [job in Job]: string };
  machine: Machine;
  rows: Row[];
  goals: Goal[];
}

/** writeRecord writes `bench-<size>-<date>.json` under `dir` (created) and returns its path. */
export function writeRecord(dir: string, record: Record): string {
  mkdirSync(dir, { recursive: true });
  const stamp = record.date.replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  const path = join(dir, `bench-${record.size.label}-${stamp}.json`);
  writeFileSync(path, `${JSON.stringify(record, null, 2)}\n`);
  return path;
}
