import { link, lstat, open, rename, rm, writeFile } from 'node:fs/promises';
import { tempPathFor } from '../util/fs-atomic.js';

/**
 * writeNewFile writes `data` to a temp sibling, fsyncs it, then publishes it at `path` only if nothing is there:
 * `link(2)` is atomic and fails with EEXIST instead of replacing, so a key is never overwritten, even by a race.
 * On filesystems without hard links it falls back to check-then-rename. Rejects with the EEXIST error if taken.
 */
export async function writeNewFile(path: string, data: string | Uint8Array, mode: number): Promise<void> {
  const tmp = tempPathFor(path);
  try {
    await writeFile(tmp, data, { mode, flag: 'wx' });
    const fh = await open(tmp, 'r');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
    try {
      await link(tmp, path);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'ENOSYS' && code !== 'EOPNOTSUPP') throw err;
      if (await exists(path)) throw Object.assign(new Error(`EEXIST: file already exists, '${path}'`), { code: 'EEXIST', path });
      await rename(tmp, path);
    }
  } finally {
    await rm(tmp, { force: true });
  }
}

/** exists tells whether anything (file, directory, dangling link) is at `path`. */
export async function exists(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}
