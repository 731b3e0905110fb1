/**
 * Test images and the real client `skopeo`: a small OCI image (config and layers of random bytes, uncompressed
 * layer media type so that skopeo copies them unchanged) held in a MemoryStore-like map, and helpers that run
 * skopeo against a plain-HTTP registry with a permissive signature policy.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { descriptorFor, type Descriptor } from '../../src/content/descriptor.js';

const run = promisify(execFile);

export const MT_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
export const MT_CONFIG = 'application/vnd.oci.image.config.v1+json';
export const MT_LAYER = 'application/vnd.oci.image.layer.v1.tar';

/** TestImage is an image built in memory. */
export interface TestImage {
  manifest: Descriptor;
  manifestBytes: Buffer;
  config: Descriptor;
  layers: Descriptor[];
  blobs: Map<string, Buffer>;
  /** open returns a body factory for any of the image's blobs (counting opens). */
  open(desc: Descriptor): (offset: number) => Promise<Readable>;
}

/** buildImage makes an OCI image whose layers have the given sizes. */
export function buildImage(layerSizes: number[], extra: Record<string, unknown> = {}): TestImage {
  const blobs = new Map<string, Buffer>();
  const layers = layerSizes.map((n) => {
    const bytes = randomBytes(n);
    const desc = descriptorFor(MT_LAYER, bytes);
    blobs.set(desc.digest, bytes);
    return desc;
  });
  const configBytes = Buffer.from(
    JSON.stringify({ architecture: 'amd64', os: 'linux', config: {}, rootfs: { type: 'layers', diff_ids: layers.map((l) => l.digest) }, history: [] }),
  );
  const config = descriptorFor(MT_CONFIG, configBytes);
  blobs.set(config.digest, configBytes);
  const manifestBytes = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MT_MANIFEST, config, layers, ...extra }));
  const manifest = descriptorFor(MT_MANIFEST, manifestBytes);
  blobs.set(manifest.digest, manifestBytes);
  return {
    manifest,
    manifestBytes,
    config,
    layers,
    blobs,
    open: (desc) => async (offset) => {
      const bytes = blobs.get(desc.digest);
      if (bytes === undefined) throw new Error(`no blob ${desc.digest}`);
      return chunked(bytes.subarray(offset));
    },
  };
}

/** chunked streams bytes in 64 KiB slices, like a file would. */
export function chunked(bytes: Buffer, size = 64 * 1024): Readable {
  const parts: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += size) parts.push(bytes.subarray(i, i + size));
  return Readable.from(parts);
}

/** readAll collects a stream. */
export async function readAll(stream: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of stream) parts.push(chunk as Buffer);
  return Buffer.concat(parts);
}

/** skopeo runs skopeo with TLS verification off (the registry is plain HTTP) and returns stdout. */
export async function skopeo(args: string[]): Promise<string> {
  const { stdout } = await run('skopeo', args, { maxBuffer: 64 * 1024 * 1024 });
  return stdout;
}

/** skopeoPolicy writes an accept-anything signature policy for `skopeo copy --policy`. */
export async function skopeoPolicy(dir: string): Promise<string> {
  const path = join(dir, 'policy.json');
  await writeFile(path, JSON.stringify({ default: [{ type: 'insecureAcceptAnything' }] }));
  return path;
}
