import { randomBytes } from 'node:crypto';
import { cp, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { REPO } from './cli.js';

/** FixtureSpec is a spec directory with a model of a few MiB (chunked at 1 MiB) and the demo image. */
export interface FixtureSpec {
  dir: string;
  spec: string;
  bigFile: Buffer;
}

/**
 * writeFixtureSpec makes a spec with a model whose weights span several 1 MiB chunks (so corruption can be
 * pinned to a chunk) plus the demo image, in `dir`.
 */
export async function writeFixtureSpec(dir: string, options: { bigSize?: number; extra?: string } = {}): Promise<FixtureSpec> {
  const bigFile = randomBytes(options.bigSize ?? 5 * 1024 * 1024 + 12345);
  await mkdir(join(dir, 'models', 'big'), { recursive: true });
  await writeFile(join(dir, 'models', 'big', 'model.safetensors'), bigFile);
  await writeFile(join(dir, 'models', 'big', 'config.json'), '{"model_type":"test"}\n');
  await cp(join(REPO, 'bundles', 'demo', 'images', 'hello'), join(dir, 'images', 'hello'), { recursive: true });
  const spec = join(dir, 'bundle.yaml');
  await writeFile(
    spec,
    `apiVersion: airbundle.dev/v1
kind: Bundle
metadata: {name: fixture, version: 1.2.3}
options: {chunkSize: 1M}
models:
  - name: big
    source: file://./models/big
images:
  - source: oci-layout:./images/hello:v1
    name: demo/hello:v1
${options.extra ?? ''}`,
  );
  return { dir, spec, bigFile };
}
