import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { build } from '../../src/build.js';
import { BundleReader } from '../../src/bundle/reader.js';
import { pseudoRandom } from '../support/pseudo-random.js';
import { isManifestType } from './registry-graph.js';

/** BundleBlobs are a built bundle's blobs: sizes by digest, and which of them are manifests. */
export interface BundleBlobs {
  path: string;
  sizes: Map<string, number>;
  manifests: string[];
  maxBlob: number;
  /** Bytes of every blob and manifest: what one clean push sends. */
  total: number;
}

/** readBundleBlobs lists a bundle's blobs from its bundle.json. */
export async function readBundleBlobs(path: string): Promise<BundleBlobs> {
  const reader = await BundleReader.open(path);
  try {
    const sizes = new Map(reader.manifest.blobs.map((b) => [b.digest as string, b.size]));
    const manifests = reader.manifest.blobs.filter((b) => isManifestType(b.mediaType)).map((b) => b.digest as string);
    const all = [...sizes.values()];
    return { path, sizes, manifests, maxBlob: Math.max(...all), total: all.reduce((n, s) => n + s, 0) };
  } finally {
    await reader.close();
  }
}

/**
 * buildShardedModel writes a model directory of deterministic files (`sizes` by path) and builds it into a
 * bundle with the library (no CLI start-up), reproducibly (SOURCE_DATE_EPOCH).
 */
export async function buildShardedModel(dir: string, files: Record<string, number>, out: string, name = 'shards'): Promise<string> {
  let seed = 100;
  for (const [path, size] of Object.entries(files)) {
    await mkdir(dirname(join(dir, 'model', path)), { recursive: true });
    await writeFile(join(dir, 'model', path), pseudoRandom(size, (seed += 1)));
  }
  const spec = join(dir, 'bundle.yaml');
  await writeFile(spec, `apiVersion: airbundle.dev/v1\nkind: Bundle\nmetadata: {name: k, version: "1"}\noptions: {chunkSize: 1M}\nmodels:\n  - {name: ${name}, source: file://./model}\n`);
  const bundle = join(dir, out);
  await build({ specPath: spec, out: bundle, cacheDir: join(dir, 'cache'), env: { SOURCE_DATE_EPOCH: '946684800' } });
  return bundle;
}
