/**
 * Helpers for tests over the real Zarf package fixture: its tar bytes, the places of its entries, and variants
 * re-packed with Zarf's layout (a deployment that uses the carried image, a signed package).
 */
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { compress, decompress } from 'zstd-napi';
import { openPackageSource, readPackageFiles, writeZarfPackage } from '../../zarf-compat/index.js';
import { buildImage, type TestImage } from '../support/oci-image.js';

export const FIXTURE = '/work/shared/zarf-fixtures/packages/zarf-package-test-amd64-0.0.1.tar.zst';
/** The one image of the fixture and its manifest digest in images/index.json. */
export const FIXTURE_IMAGE = 'docker.io/library/alpine:3.20';
export const FIXTURE_DIGEST = 'sha256:43180c492a5e6cedd8232e8f77a454f666f247586853eecb90258b26688ad1d3';
export const FIXTURE_LAYER = 'sha256:0a9a5dfd008f05ebc27e4790db0709a29e527690c21bcbcd01481eaeb6bb49dc';

/** fixtureTar is the uncompressed tar of the fixture. */
export function fixtureTar(): Buffer {
  return decompress(readFileSync(FIXTURE));
}

/** TarEntryAt is where an entry's header and data sit in a tar. */
export interface TarEntryAt {
  name: string;
  header: number;
  data: number;
  size: number;
  type: string;
}

/** tarEntries lists the entries of a ustar archive (the fixture has no PAX or GNU long names). */
export function tarEntries(tar: Buffer): TarEntryAt[] {
  const out: TarEntryAt[] = [];
  let pos = 0;
  while (pos + 512 <= tar.length) {
    const block = tar.subarray(pos, pos + 512);
    if (block.every((b) => b === 0)) break;
    const str = (a: number, b: number): string => block.subarray(a, b).toString('utf8').replace(/\0.*$/s, '');
    const prefix = str(345, 500);
    const name = (prefix !== '' ? `${prefix}/` : '') + str(0, 100);
    const size = parseInt(str(124, 136).trim() || '0', 8);
    out.push({ name, header: pos, data: pos + 512, size, type: str(156, 157) || '0' });
    pos += 512 + Math.ceil(size / 512) * 512;
  }
  return out;
}

/** zstd compresses like Zarf's encoder (one frame, content checksum on). */
export function zstd(tar: Buffer): Buffer {
  return compress(tar, { checksumFlag: true });
}

/** flipped returns a copy of `buf` with one byte changed at `offset`. */
export function flipped(buf: Buffer, offset: number): Buffer {
  const copy = Buffer.from(buf);
  copy[offset] = copy[offset]! ^ 0x55;
  return copy;
}

/** aKeyPair makes an ECDSA P-256 key pair (cosign's kind) and writes the public key as PEM. */
export async function aKeyPair(dir: string, name = 'cosign'): Promise<{ privateKey: KeyObject; publicKey: KeyObject; pubPath: string }> {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const pubPath = join(dir, `${name}.pub`);
  await writeFile(pubPath, publicKey.export({ type: 'spki', format: 'pem' }));
  return { privateKey, publicKey, pubPath };
}

/**
 * repackFixture writes a variant of the fixture in Zarf's layout (checksums.txt and aggregate recomputed): the
 * deployment of component `test` uses the carried alpine image, and the package is signed when a key is given.
 */
export async function repackFixture(path: string, options: { signWith?: KeyObject; image?: string } = {}): Promise<void> {
  const files = await readPackageFiles(await openPackageSource(FIXTURE));
  const definition = files.find((f) => f.name === 'zarf.yaml')!.data.toString('utf8');
  const content = files.filter((f) => !['zarf.yaml', 'checksums.txt'].includes(f.name));
  const component = content.find((f) => f.name === 'components/test.tar')!;
  const inner = tarEntries(component.data).find((e) => e.name === 'test/manifests/deployment-0.yaml')!;
  const yaml = component.data.subarray(inner.data, inner.data + inner.size).toString('utf8').replace('docker.io/library/nginx:1.14.2', options.image ?? FIXTURE_IMAGE);
  component.data = retarOne(component.data, inner, Buffer.from(yaml));
  await writeZarfPackage(path, { definition, files: content, ...(options.signWith !== undefined ? { signWith: options.signWith } : {}) });
}

/** retarOne replaces one entry's body in a ustar archive (sizes and header checksum fixed up). */
function retarOne(tar: Buffer, at: TarEntryAt, body: Buffer): Buffer {
  const header = Buffer.from(tar.subarray(at.header, at.header + 512));
  header.write(`${body.length.toString(8).padStart(11, '0')}\0`, 124, 12, 'utf8');
  header.fill(0x20, 148, 156);
  const sum = header.reduce((n, b) => n + b, 0);
  header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 8, 'utf8');
  const padded = Buffer.alloc(Math.ceil(body.length / 512) * 512);
  body.copy(padded);
  const after = at.data + Math.ceil(at.size / 512) * 512;
  return Buffer.concat([tar.subarray(0, at.header), header, padded, tar.subarray(after)]);
}

/**
 * writeSyntheticPackage writes a Zarf package holding one image (`localhost/big/data:1.0`) whose single layer is
 * `layerSize` random bytes, split into parts of `partSize` when given: a package big enough to measure with.
 */
export async function writeSyntheticPackage(path: string, layerSize: number): Promise<{ digest: string; layer: string }> {
  const ref = 'localhost/big/data:1.0';
  const image = buildImage([layerSize]);
  const definition = ['kind: ZarfPackageConfig', 'metadata:', '  name: big', '  version: 1.0.0', '  architecture: amd64', 'components:', '  - name: data', '    required: true', '    images:', `      - ${ref}`, ''].join('\n');
  await writeZarfPackage(path, { definition, files: zarfImageFiles(image, ref) });
  return { digest: image.manifest.digest, layer: image.layers[0]!.digest };
}

/** zarfImageFiles lays one image out as a Zarf package's `images/` OCI layout, named `ref` as Zarf annotates it. */
export function zarfImageFiles(image: TestImage, ref: string): Array<{ name: string; data: Buffer }> {
  const index = {
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.index.v1+json',
    manifests: [{ ...image.manifest, annotations: { 'org.opencontainers.image.ref.name': ref, 'org.opencontainers.image.base.name': ref } }],
  };
  return [
    { name: 'images/oci-layout', data: Buffer.from('{"imageLayoutVersion":"1.0.0"}') },
    { name: 'images/index.json', data: Buffer.from(JSON.stringify(index)) },
    ...[...image.blobs].map(([digest, data]) => ({ name: `images/blobs/sha256/${digest.slice('sha256:'.length)}`, data })),
  ];
}
