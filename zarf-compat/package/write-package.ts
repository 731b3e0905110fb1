/**
 * writeZarfPackage writes a package in Zarf's layout: `checksums.txt` (`<sha256> <path>` per file, lines sorted,
 * trailing newline), zarf.yaml with `metadata.aggregateChecksum` = sha256(checksums.txt), optional signatures, all
 * in one tar with entries sorted by name, zstd-compressed (with a content checksum, as Zarf's encoder writes) unless
 * `.tar` is asked for. Used to re-pack fixtures in tests and as the base of a bundle → Zarf export.
 * Reference: zarf-dev/zarf src/pkg/packager/assemble/assemble.go (getChecksum), src/pkg/archive/archive.go.
 */
import { createWriteStream } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { KeyObject } from 'node:crypto';
import { parseDocument } from 'yaml';
import { CompressStream } from 'zstd-napi';
import { createTarStream } from '../../src/archive/tar-writer.js';
import { AirbundleError } from '../../src/errors.js';
import { sha256Hex, UNLISTED_FILES } from './package-integrity.js';
import { signZarfDefinition } from './zarf-signature.js';

/** ZarfPackageContent is what goes in a package besides zarf.yaml, checksums.txt and the signatures. */
export interface ZarfPackageContent {
  /** zarf.yaml text; its aggregateChecksum (and, when signing, build.signed/provenanceFiles) are set on write. */
  definition: string;
  /** Files by path: `components/<name>.tar`, `images/index.json`, `images/blobs/sha256/<hex>`, `sboms.tar`, … */
  files: Array<{ name: string; data: Buffer }>;
  /** Sign zarf.yaml with this ECDSA key (both zarf.bundle.sig and the legacy zarf.yaml.sig). */
  signWith?: KeyObject;
}

/** WrittenPackage is what was written. */
export interface WrittenPackage {
  path: string;
  aggregateChecksum: string;
  definition: Buffer;
}

/** checksumsFile renders checksums.txt for `files`. Pure. */
export function checksumsFile(files: Array<{ name: string; data: Buffer }>): string {
  const lines = files.map((f) => `${sha256Hex(f.data)} ${f.name}`).sort();
  return `${lines.join('\n')}\n`;
}

/** writeZarfPackage writes `path` (`.tar.zst`, or `.tar` uncompressed). */
export async function writeZarfPackage(path: string, content: ZarfPackageContent): Promise<WrittenPackage> {
  for (const f of content.files) {
    if (UNLISTED_FILES.has(f.name)) throw new AirbundleError('USAGE', `${f.name} is written by writeZarfPackage itself`);
  }
  const checksums = checksumsFile(content.files);
  const aggregateChecksum = sha256Hex(checksums);
  const doc = parseDocument(content.definition);
  doc.setIn(['metadata', 'aggregateChecksum'], aggregateChecksum);
  if (content.signWith !== undefined) {
    doc.setIn(['build', 'signed'], true);
    doc.setIn(['build', 'provenanceFiles'], ['checksums.txt', 'zarf.bundle.sig']);
  }
  const definition = Buffer.from(doc.toString({ lineWidth: 0 }));
  const entries = [...content.files, { name: 'checksums.txt', data: Buffer.from(checksums) }, { name: 'zarf.yaml', data: definition }];
  if (content.signWith !== undefined) {
    const sig = signZarfDefinition(definition, content.signWith);
    entries.push({ name: 'zarf.bundle.sig', data: sig.bundle }, { name: 'zarf.yaml.sig', data: sig.legacy });
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const tar = createTarStream(entries.map((e) => ({ name: e.name, size: e.data.length, open: () => Promise.resolve(Readable.from([e.data])) })));
  const stages = path.endsWith('.tar') ? [tar, createWriteStream(path)] : [tar, new CompressStream({ compressionLevel: 3, checksumFlag: true }), createWriteStream(path)];
  await (pipeline as (...s: unknown[]) => Promise<void>)(...stages);
  return { path, aggregateChecksum, definition };
}
