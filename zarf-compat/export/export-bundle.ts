/**
 * exportZarfPackage writes one of our bundles as a Zarf package (`zarf-package-<name>-<arch>-<version>.tar.zst`):
 * `zarf.yaml` (ZarfPackageConfig with metadata and a build section as Zarf writes them, one required component per
 * artifact listing its reference under `images:`), an `images/` OCI layout whose index.json entries carry
 * `org.opencontainers.image.ref.name` and `…base.name` = the reference (as Zarf does), every blob of the bundle
 * under `images/blobs/sha256/`, `checksums.txt` and `metadata.aggregateChecksum`, entries sorted, zstd. Models and
 * other artifacts go in as OCI artifacts with their reference, as Zarf carries data (zarf.md §3.7). Blobs stream
 * from the bundle one at a time (their sha256 is their name), so a 100 GB bundle costs no memory; only index.json,
 * oci-layout, checksums.txt and zarf.yaml are built in memory.
 */
import type { KeyObject } from 'node:crypto';
import { hostname, userInfo } from 'node:os';
import { Readable } from 'node:stream';
import { stringify } from 'yaml';
import { BundleReader } from '../../src/bundle/reader.js';
import { digestFromHex } from '../../src/content/digest.js';
import { AirbundleError } from '../../src/errors.js';
import { goArch } from '../definition/load-definition.js';
import { parseZarfImageRef } from '../image/zarf-image-ref.js';
import { sha256Hex } from '../package/package-integrity.js';
import { writeZarfPackageFiles, type ZarfPackageFile } from '../package/write-package.js';

const ANNOTATION_REF_NAME = 'org.opencontainers.image.ref.name';
const ANNOTATION_BASE_NAME = 'org.opencontainers.image.base.name';

/** ExportOptions for {@link exportZarfPackage}. */
export interface ExportOptions {
  /** Output file; default `zarf-package-<name>-<arch>-<version>.tar.zst` in the working directory. */
  out?: string;
  /** metadata.architecture; default the first platform of the bundle's images, else this machine's. */
  arch?: string;
  /** Sign zarf.yaml (zarf.bundle.sig and zarf.yaml.sig) with this ECDSA key. */
  signWith?: KeyObject;
}

/** ExportReport says what was written. */
export interface ExportReport {
  path: string;
  name: string;
  version: string;
  architecture: string;
  images: Array<{ reference: string; kind: string; digest: string }>;
  blobs: number;
  bytes: number;
  aggregateChecksum: string;
}

/** exportZarfPackage exports the bundle at `path`. */
export async function exportZarfPackage(path: string, options: ExportOptions = {}): Promise<ExportReport> {
  const reader = await BundleReader.open(path);
  try {
    const m = reader.manifest;
    const arch = options.arch ?? m.artifacts.flatMap((a) => a.platforms ?? []).map((p) => p.split('/')[1]).find((a) => a !== undefined) ?? goArch();
    const name = zarfName(m.name);
    const out = options.out ?? `zarf-package-${name}-${arch}-${m.version}.tar.zst`;
    if (!/\.tar(\.zst)?$/.test(out)) throw new AirbundleError('USAGE', `-o ${out}: a Zarf package ends in .tar.zst (or .tar, uncompressed)`);
    const images = m.artifacts.map((a) => {
      let reference: string;
      try {
        reference = parseZarfImageRef(a.ref).reference;
      } catch (err) {
        throw new AirbundleError('REFERENCE_INVALID', `artifact ${a.name} has reference ${a.ref}, which Zarf cannot name an image by: ${(err as Error).message}`, { cause: err });
      }
      return { artifact: a, reference };
    });
    const index = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.index.v1+json',
        manifests: images.map(({ artifact, reference }) => ({ ...artifact.root, annotations: { ...(artifact.root.annotations ?? {}), [ANNOTATION_REF_NAME]: reference, [ANNOTATION_BASE_NAME]: reference } })),
      }),
    );
    const layout = Buffer.from('{"imageLayoutVersion":"1.0.0"}');
    const small = (file: string, data: Buffer): ZarfPackageFile => ({ name: file, size: data.length, sha256: sha256Hex(data), open: () => Promise.resolve(Readable.from([data])) });
    const blobs: ZarfPackageFile[] = m.blobs.map((b) => ({
      name: `images/blobs/sha256/${b.digest.slice('sha256:'.length)}`,
      size: b.size,
      sha256: b.digest.slice('sha256:'.length),
      open: () => reader.fetch({ mediaType: b.mediaType, digest: digestFromHex(b.digest.slice('sha256:'.length)), size: b.size }),
    }));
    const definition = stringify(
      {
        kind: 'ZarfPackageConfig',
        metadata: { name, version: m.version, architecture: arch, description: `exported from airbundle bundle ${m.name} ${m.version}` },
        build: { terminal: hostname(), user: safeUser(), architecture: arch, timestamp: rfc1123z(new Date(m.created)), version: m.generator },
        components: images.map(({ artifact, reference }) => ({ name: zarfName(artifact.name), required: true, description: `${artifact.kind} ${artifact.name}`, images: [reference] })),
      },
      { lineWidth: 0 },
    );
    const written = await writeZarfPackageFiles(out, { definition, files: [...blobs, small('images/index.json', index), small('images/oci-layout', layout)], ...(options.signWith !== undefined ? { signWith: options.signWith } : {}) });
    return {
      path: out,
      name,
      version: m.version,
      architecture: arch,
      images: images.map(({ artifact, reference }) => ({ reference, kind: artifact.kind, digest: artifact.root.digest })),
      blobs: blobs.length,
      bytes: m.blobs.reduce((n, b) => n + b.size, 0),
      aggregateChecksum: written.aggregateChecksum,
    };
  } finally {
    await reader.close();
  }
}

/** zarfName makes a Zarf package or component name (lowercase letters, digits, dashes). */
function zarfName(s: string): string {
  return s.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '') || 'bundle';
}

/** rfc1123z formats like Go's time.RFC1123Z, as Zarf writes build.timestamp: `Mon, 02 Jan 2006 15:04:05 +0000`. */
function rfc1123z(d: Date): string {
  const t = Number.isNaN(d.getTime()) ? new Date(0) : d;
  return t.toUTCString().replace('GMT', '+0000');
}

function safeUser(): string {
  try {
    return userInfo().username;
  } catch {
    return 'unknown';
  }
}
