import { randomBytes } from 'node:crypto';
import { mkdir, readdir, rename, rm, writeFile, open } from 'node:fs/promises';
import { dirname, basename, join } from 'node:path';

/** tempPathFor returns a unique sibling temp name for `path` (same directory, so rename is atomic). */
export function tempPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
}

/**
 * removeStaleTemps deletes the temp siblings of `path` (names from tempPathFor) that a run killed between
 * writing and renaming left behind: nothing else ever removes them, and next to an output they are litter a
 * user would ship (a partial archive beside the bundle, a stray file in a model directory). Call it only where
 * this run owns `path`: a temp of a concurrent writer of the same path would go too.
 */
export async function removeStaleTemps(path: string): Promise<void> {
  const dir = dirname(path);
  const prefix = `.${basename(path)}.`;
  const names = await readdir(dir).catch(() => [] as string[]);
  const stale = names.filter((n) => n.startsWith(prefix) && /^[0-9a-f]{12}\.tmp$/.test(n.slice(prefix.length)));
  await Promise.all(stale.map((n) => rm(join(dir, n), { recursive: true, force: true })));
}

/**
 * writeFileAtomic writes `data` to a temp sibling, fsyncs it and renames it over `path`, so readers see
 * either the old file or the whole new one, never a torn write.
 */
export async function writeFileAtomic(path: string, data: Uint8Array | string, mode = 0o644): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = tempPathFor(path);
  try {
    await writeFile(tmp, data, { mode });
    const fh = await open(tmp, 'r');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}
