/** printLine writes one line of human output to stdout. */
export function printLine(line = ''): void {
  process.stdout.write(`${line}\n`);
}

/** printJson writes a JSON document to stdout: indented, or as one line (for streams of JSON lines). */
export function printJson(value: unknown, oneLine = false): void {
  process.stdout.write(`${oneLine ? JSON.stringify(value) : JSON.stringify(value, null, 2)}\n`);
}

/** table renders rows as left-aligned columns. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const fmt = (r: string[]): string => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  ').trimEnd();
  return [fmt(header), ...rows.map(fmt)].join('\n');
}
