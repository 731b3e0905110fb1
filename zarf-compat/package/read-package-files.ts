/**
 * readPackageFiles reads every file of a (small) package into memory, unchecked: the raw material for re-packing a
 * package with changes (tests, export). Use scanPackage to read a package you mean to trust.
 */
import type { PackageSource } from './package-source.js';
import { walkPackage } from './walk-package.js';

/** readPackageFiles returns every file of the package with its bytes, in archive order. */
export async function readPackageFiles(source: PackageSource): Promise<Array<{ name: string; data: Buffer }>> {
  const out: Array<{ name: string; data: Buffer }> = [];
  await walkPackage(source, async (entry) => {
    const chunks: Buffer[] = [];
    for await (const c of entry.body) chunks.push(c);
    out.push({ name: entry.name, data: Buffer.concat(chunks) });
  });
  return out;
}
