import { mkdir, open, realpath } from 'node:fs/promises';
import { relative, isAbsolute, sep } from 'node:path';
import { AirbundleError } from '../errors.js';

/**
 * DirGuard creates the directories files are written into and checks that each one really is inside the
 * target once symlinks already on disk are followed: a lexically safe path can still leave the target through
 * a symlinked directory someone left there. It also remembers which directories were written to, so their
 * entries can be fsynced before the marker files say the work is done.
 */
export class DirGuard {
  readonly #realRoot: string;
  readonly #checked = new Map<string, Promise<void>>();
  readonly #touched = new Set<string>();

  private constructor(realRoot: string) {
    this.#realRoot = realRoot;
  }

  /** open creates the target directory if needed and resolves its real path. */
  static async open(root: string): Promise<DirGuard> {
    await mkdir(root, { recursive: true });
    return new DirGuard(await realpath(root));
  }

  /** ensure creates `dir` (absolute, lexically inside the root) and throws PATH_ESCAPE if it resolves outside. */
  async ensure(dir: string, what: string): Promise<void> {
    let check = this.#checked.get(dir);
    if (check === undefined) {
      check = (async () => {
        await mkdir(dir, { recursive: true });
        const real = await realpath(dir);
        const rel = relative(this.#realRoot, real);
        if (rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) {
          throw new AirbundleError('PATH_ESCAPE', `${what}: directory ${dir} leads to ${real}, outside the target ${this.#realRoot} (a symlink on disk)`, {
            details: { path: what },
            hint: 'remove the symlink from the target directory, or choose another one',
          });
        }
      })();
      this.#checked.set(dir, check);
    }
    await check;
    this.#touched.add(dir);
  }

  /** syncTouched fsyncs every directory a file was renamed into, so the new names survive a crash. */
  async syncTouched(): Promise<void> {
    for (const dir of this.#touched) await syncDir(dir);
  }
}

/** syncDir fsyncs a directory's entries. */
export async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}
