import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';

/** sha256File is the hex sha256 of a file, streamed. */
export async function sha256File(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const piece of createReadStream(path, { highWaterMark: 1024 * 1024 })) h.update(piece as Buffer);
  return h.digest('hex');
}

/** sha256Hex is the hex sha256 of bytes. */
export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** treeDigests maps every regular file under `root` (relative path) to its sha256; symlinks and dirs are named as such. */
export async function treeDigests(root: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const entries = await readdir(root, { recursive: true, withFileTypes: true }).catch(() => []);
  for (const e of entries) {
    const abs = join(e.parentPath, e.name);
    const rel = abs.slice(root.length + 1);
    if (e.isFile()) out.set(rel, await sha256File(abs));
    else if (e.isSymbolicLink()) out.set(rel, 'symlink');
    else if (e.isDirectory()) out.set(`${rel}/`, 'dir');
  }
  return out;
}

/** bytesUnder sums the sizes of the regular files under `root` (0 when it does not exist). */
export async function bytesUnder(root: string): Promise<number> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true }).catch(() => []);
  let n = 0;
  for (const e of entries) if (e.isFile()) n += (await stat(join(e.parentPath, e.name)).catch(() => undefined))?.size ?? 0;
  return n;
}
