import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { runTool } from '../support/cli.js';
import { sha256File } from './file-hash.js';
import type { Check } from './trial-record.js';

/**
 * checkResumedBuild checks what a rerun after a kill built: `out` (b.tar in `dir`) is byte for byte the bundle of an
 * uninterrupted build (`reference`, its sha256), nothing is left beside it, and, given `skopeoRef` (an
 * `oci-archive` reference name), a real client reads it as a standard OCI archive.
 */
export async function checkResumedBuild(check: Check, o: { out: string; dir: string; reference: string; skopeoRef?: string }): Promise<void> {
  check.that((await sha256File(o.out)) === o.reference, 'the bundle differs from the uninterrupted build');
  // Nothing else next to it: an uninterrupted build leaves the bundle alone (the cache is a directory of its own).
  const beside = (await readdir(o.dir)).filter((n) => n !== 'cache');
  check.that(beside.length === 1 && beside[0] === 'b.tar', `the output directory holds ${beside.join(', ')}`);
  if (o.skopeoRef === undefined) return;
  const copy = await runTool('skopeo', ['copy', '--preserve-digests', `oci-archive:${o.out}:${o.skopeoRef}`, `oci:${join(o.dir, 'skopeo')}:x`]);
  check.that(copy.code === 0, `skopeo copy oci-archive: ${copy.stderr}`);
}
