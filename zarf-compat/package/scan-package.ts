/**
 * scanPackage is the first pass over a Zarf package: every file is hashed as it streams past and checked against
 * checksums.txt, checksums.txt against the aggregate checksum of zarf.yaml, and the small things deploy needs are
 * kept in memory (zarf.yaml, signatures, the OCI index and image manifests, component manifests). Large blobs are
 * hashed and forgotten. Nothing is written anywhere; nothing is trusted until the whole pass has succeeded.
 */
import { createHash } from 'node:crypto';
import type { Descriptor } from '../../src/content/descriptor.js';
import { digestFromHex } from '../../src/content/digest.js';
import { AirbundleError } from '../../src/errors.js';
import type { ProgressSink } from '../../src/progress/events.js';
import { assertV1alpha1Package, isMap, isV1beta1, parseYamlDocuments } from '../definition/parse-definition.js';
import { v1beta1ToV1alpha1 } from '../definition/v1beta1-to-v1alpha1.js';
import type { YamlMap, ZarfPackage } from '../definition/zarf-definition.types.js';
import { ComponentReader, type ComponentContent } from './component-reader.js';
import { PackageIntegrity } from './package-integrity.js';
import type { PackageSource } from './package-source.js';
import { walkPackage } from './walk-package.js';

/** Small files are kept whole; a larger one where a small one belongs means a broken package. */
const MAX_SMALL_FILE = 16 * 1024 * 1024;
/** Blobs up to this size are looked at as possible image manifests or indexes. */
const MAX_MANIFEST_BLOB = 4 * 1024 * 1024;
const BLOB_PREFIX = 'images/blobs/sha256/';

/** PackageScan is what the first pass learned about a package, all of it checked. */
export interface PackageScan {
  source: PackageSource;
  /** The exact bytes of zarf.yaml (what signatures cover). */
  definitionBytes: Buffer;
  /** zarf.yaml, first document (v1alpha1 shape). */
  pkg: ZarfPackage;
  /** `zarf.bundle.sig` (Sigstore bundle) and/or legacy `zarf.yaml.sig`. */
  signatures: { bundle?: Buffer; legacy?: Buffer };
  /** images/index.json, parsed (undefined when the package has no images). */
  index: { manifests?: Descriptor[] } | undefined;
  /** Blobs of images/ by digest, with their sizes. */
  blobs: Map<string, number>;
  /** Blobs that parse as OCI/Docker manifests or indexes, by digest, with their exact bytes. */
  manifests: Map<string, Buffer>;
  /** Components by name. */
  components: Map<string, ComponentContent>;
  /** Every file of the package with its size, in archive order. */
  files: Array<{ name: string; size: number }>;
}

/** ScanOptions for {@link scanPackage}. */
export interface ScanOptions {
  onEvent?: ProgressSink;
  signal?: AbortSignal;
  /**
   * trust decides whether zarf.yaml is authentic (signature policy), before anything it says is believed. It runs
   * at the end of the read, first in the chain signature → zarf.yaml → aggregate checksum → checksums.txt → files,
   * so a failure names the link that broke. Returns whether zarf.yaml was verified.
   */
  trust?: (definition: Buffer, signatures: PackageScan['signatures']) => boolean;
}

/** scanPackage reads and checks a whole package once. ZARF_PACKAGE_CORRUPT names the first file that fails. */
export async function scanPackage(source: PackageSource, options: ScanOptions = {}): Promise<PackageScan> {
  const integrity = new PackageIntegrity(source.name);
  const small = new Map<string, Buffer>();
  const scan: Omit<PackageScan, 'definitionBytes' | 'pkg' | 'index'> = {
    source,
    signatures: {},
    blobs: new Map(),
    manifests: new Map(),
    components: new Map(),
    files: [],
  };
  const onEvent = options.onEvent;
  const title = `Check ${source.name}`;
  onEvent?.({ type: 'phase-start', phase: 'verify', title, total: source.size });
  let done = 0;
  // A split package records the sha256 of the whole tarball: checking it covers every byte, padding included.
  const whole = source.split !== undefined ? createHash('sha256') : undefined;

  await walkPackage(
    source,
    async (entry) => {
      scan.files.push({ name: entry.name, size: entry.size });
      const hash = createHash('sha256');
      const keep = isSmallFile(entry.name) || (entry.name.startsWith(BLOB_PREFIX) && entry.size <= MAX_MANIFEST_BLOB);
      if (isSmallFile(entry.name) && entry.size > MAX_SMALL_FILE) {
        throw new AirbundleError('ZARF_PACKAGE_CORRUPT', `${source.name}: ${entry.name} is ${entry.size} bytes, far too large for what it is`, { details: { file: entry.name } });
      }
      const component = /^components\/([^/]+)\.tar$/.exec(entry.name)?.[1];
      const reader = component !== undefined ? new ComponentReader(component) : undefined;
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of entry.body) {
        hash.update(chunk);
        size += chunk.length;
        if (keep) chunks.push(chunk);
        if (reader !== undefined) await reader.write(chunk);
      }
      if (size !== entry.size) throw new AirbundleError('ZARF_PACKAGE_CORRUPT', `${source.name}: ${entry.name} ended after ${size} of its ${entry.size} bytes`, { details: { file: entry.name } });
      const hex = hash.digest('hex');
      const isBlob = entry.name.startsWith(BLOB_PREFIX);
      if (isBlob && entry.name.slice(BLOB_PREFIX.length) !== hex) {
        reader?.abandon();
        throw new AirbundleError('ZARF_PACKAGE_CORRUPT', `${source.name}: ${entry.name} has sha256 ${hex}, not the digest it is named by: the blob was changed or damaged`, { details: { file: entry.name } });
      }
      try {
        integrity.fileRead(entry.name, hex, isBlob);
      } catch (err) {
        reader?.abandon();
        throw err;
      }
      if (isBlob) {
        scan.blobs.set(digestFromHex(hex), size);
        if (keep && looksLikeManifest(chunks)) scan.manifests.set(digestFromHex(hex), Buffer.concat(chunks));
      } else if (keep) {
        const bytes = Buffer.concat(chunks);
        small.set(entry.name, bytes);
        if (entry.name === 'checksums.txt') integrity.checksumsRead(bytes);
      }
      if (reader !== undefined) scan.components.set(component!, await reader.end());
    },
    {
      ...(options.signal !== undefined ? { signal: options.signal } : {}),
      onRaw: (chunk) => {
        whole?.update(chunk);
        done += chunk.length;
        onEvent?.({ type: 'bytes', phase: 'verify', item: source.name, done, total: source.size });
      },
    },
  );
  const definitionBytes = small.get('zarf.yaml');
  if (definitionBytes === undefined) throw new AirbundleError('ZARF_PACKAGE_CORRUPT', `${source.name} has no zarf.yaml: it is not a Zarf package`, { details: { file: 'zarf.yaml' } });
  const bundleSig = small.get('zarf.bundle.sig');
  const legacySig = small.get('zarf.yaml.sig');
  if (bundleSig !== undefined) scan.signatures.bundle = bundleSig;
  if (legacySig !== undefined) scan.signatures.legacy = legacySig;
  const signed = options.trust?.(definitionBytes, scan.signatures) ?? false;
  const { pkg, aggregate, provenance } = readDefinition(definitionBytes, source.name);
  integrity.finish(aggregate, provenance, signed);
  const wholeHex = whole?.digest('hex');
  if (wholeHex !== undefined && wholeHex !== source.split!.Sha256Sum) {
    throw new AirbundleError('ZARF_PACKAGE_CORRUPT', `the parts of ${source.name} (${(source.parts ?? []).length}) have sha256 ${wholeHex} together, but .part000 says ${source.split!.Sha256Sum}: a part was changed or swapped`, {
      hint: 'nothing was pushed or applied; copy the parts again',
      details: { file: `${source.name}.part000` },
    });
  }
  const indexBytes = small.get('images/index.json');
  const index = indexBytes !== undefined ? parseIndex(indexBytes, source.name) : undefined;
  onEvent?.({ type: 'phase-end', phase: 'verify', title });
  return { ...scan, definitionBytes, pkg, index };
}

function isSmallFile(name: string): boolean {
  return ['zarf.yaml', 'checksums.txt', 'zarf.bundle.sig', 'zarf.yaml.sig', 'images/index.json', 'images/oci-layout'].includes(name);
}

/** looksLikeManifest tells an image manifest or index (JSON with schemaVersion and layers/manifests) from other blobs. */
function looksLikeManifest(chunks: Buffer[]): boolean {
  const first = chunks[0];
  if (first === undefined || first[0] !== 0x7b) return false;
  try {
    const doc = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
    return doc.schemaVersion === 2 && (Array.isArray(doc.layers) || Array.isArray(doc.manifests));
  } catch {
    return false;
  }
}

/** readDefinition parses the first document of a built zarf.yaml and finds its aggregate checksum. */
function readDefinition(bytes: Buffer, pkgName: string): { pkg: ZarfPackage; aggregate: string | undefined; provenance: string[] } {
  const file = `${pkgName}: zarf.yaml`;
  const first = parseYamlDocuments(bytes.toString('utf8'), file)[0];
  if (!isMap(first)) throw new AirbundleError('ZARF_PACKAGE_CORRUPT', `${file} holds no package definition`, { details: { file: 'zarf.yaml' } });
  const build: YamlMap = isMap(first.build) ? first.build : {};
  const meta: YamlMap = isMap(first.metadata) ? first.metadata : {};
  const aggregate = typeof meta.aggregateChecksum === 'string' ? meta.aggregateChecksum : typeof build.aggregateChecksum === 'string' ? build.aggregateChecksum : undefined;
  const provenance = Array.isArray(build.provenanceFiles) ? build.provenanceFiles.filter((f): f is string => typeof f === 'string') : [];
  const pkg = isV1beta1(first) ? v1beta1ToV1alpha1(first) : first;
  assertV1alpha1Package(pkg, file);
  return { pkg, aggregate, provenance };
}

function parseIndex(bytes: Buffer, pkgName: string): { manifests?: Descriptor[] } {
  try {
    const doc = JSON.parse(bytes.toString('utf8')) as { manifests?: Descriptor[] };
    if (doc.manifests !== undefined && !Array.isArray(doc.manifests)) throw new Error('manifests is not a list');
    return doc;
  } catch (err) {
    throw new AirbundleError('ZARF_PACKAGE_CORRUPT', `${pkgName}: images/index.json is not an OCI index: ${(err as Error).message}`, { details: { file: 'images/index.json' } });
  }
}
