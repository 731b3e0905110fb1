import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

/** readTree returns every entry under dir, relative and sorted: files with their bytes, symlinks and dirs marked. */
export async function readTree(dir: string, prefix = ''): Promise<Map<string, Buffer | 'symlink'>> {
  const out = new Map<string, Buffer | 'symlink'>();
  for (const e of await readdir(join(dir, prefix), { withFileTypes: true })) {
    const rel = prefix === '' ? e.name : `${prefix}/${e.name}`;
    if (e.isDirectory()) for (const [k, v] of await readTree(dir, rel)) out.set(k, v);
    else if (e.isSymbolicLink()) out.set(rel, 'symlink');
    else out.set(rel, await readFile(join(dir, rel)));
  }
  return new Map([...out].sort(([a], [b]) => (a < b ? -1 : 1)));
}

/** treeDifference tells the first difference between two trees, or undefined when they are equal byte for byte. */
export function treeDifference(a: Map<string, Buffer | 'symlink'>, b: Map<string, Buffer | 'symlink'>): string | undefined {
  const names = [...new Set([...a.keys(), ...b.keys()])].sort();
  for (const n of names) {
    const x = a.get(n);
    const y = b.get(n);
    if (x === undefined || y === undefined) return `${n} is only in the ${x === undefined ? 'second' : 'first'} tree`;
    if (x === 'symlink' || y === 'symlink') return `${n} is a symlink`;
    if (!x.equals(y)) return `${n} differs`;
  }
  return undefined;
}
