/**
 * writeZarfPackage writes a package in Zarf's layout: `checksums.txt` (`<sha256> <path>` per file, lines sorted,
 * trailing newline), zarf.yaml with `metadata.aggregateChecksum` = sha256(checksums.txt), optional signatures, all
 * in one tar with entries sorted by name, zstd-compressed (with a content checksum, as Zarf's encoder writes) unless
 * `.tar` is asked for. Used to re-pack fixtures in tests and as the base of a bundle → Zarf export.
 * Reference: zarf-dev/zarf src/pkg/packager/assemble/assemble.go (getChecksum), src/pkg/archive/archive.go.
 */
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { KeyObject } from 'node:crypto';
import { parseDocument } from 'yaml';
import { CompressStream } from 'zstd-napi';
import { createTarStream } from '../../src/archive/tar-writer.js';
import { AirbundleError } from '../../src/errors.js';
import { tempPathFor } from '../../src/util/fs-atomic.js';
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

/** ZarfPackageFile is one file to write, streamed: its sha256 (hex) must be known before the archive is written. */
export interface ZarfPackageFile {
  name: string;
  size: number;
  sha256: string;
  open: () => Promise<Readable>;
}

/** writeZarfPackage writes `path` (`.tar.zst`, or `.tar` uncompressed) from files in memory. */
export async function writeZarfPackage(path: string, content: ZarfPackageContent): Promise<WrittenPackage> {
  const files = content.files.map((f): ZarfPackageFile => ({ name: f.name, size: f.data.length, sha256: sha256Hex(f.data), open: () => Promise.resolve(Readable.from([f.data])) }));
  return writeZarfPackageFiles(path, { definition: content.definition, files, ...(content.signWith !== undefined ? { signWith: content.signWith } : {}) });
}

/**
 * writeZarfPackageFiles writes `path` from files opened one at a time and streamed through (a blob of any size
 * costs no memory), to a temporary name renamed into place once complete.
 */
export async function writeZarfPackageFiles(path: string, content: { definition: string; files: ZarfPackageFile[]; signWith?: KeyObject }): Promise<WrittenPackage> {
  for (const f of content.files) {
    if (UNLISTED_FILES.has(f.name)) throw new AirbundleError('USAGE', `${f.name} is written by writeZarfPackage itself`);
  }
  const checksums = `${content.files.map((f) => `${f.sha256} ${f.name}`).sort().join('\n')}\n`;
  const aggregateChecksum = sha256Hex(checksums);
  const doc = parseDocument(content.definition);
  doc.setIn(['metadata', 'aggregateChecksum'], aggregateChecksum);
  if (content.signWith !== undefined) {
    doc.setIn(['build', 'signed'], true);
    doc.setIn(['build', 'provenanceFiles'], ['checksums.txt', 'zarf.bundle.sig']);
  }
  const definition = Buffer.from(doc.toString({ lineWidth: 0 }));
  const small = (name: string, data: Buffer): ZarfPackageFile => ({ name, size: data.length, sha256: '', open: () => Promise.resolve(Readable.from([data])) });
  const entries = [...content.files, small('checksums.txt', Buffer.from(checksums)), small('zarf.yaml', definition)];
  if (content.signWith !== undefined) {
    const sig = signZarfDefinition(definition, content.signWith);
    entries.push(small('zarf.bundle.sig', sig.bundle), small('zarf.yaml.sig', sig.legacy));
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const tar = createTarStream(entries.map((e) => ({ name: e.name, size: e.size, open: e.open })));
  const temp = tempPathFor(path);
  const stages = path.endsWith('.tar') ? [tar, createWriteStream(temp)] : [tar, new CompressStream({ compressionLevel: 3, checksumFlag: true }), createWriteStream(temp)];
  try {
    await (pipeline as (...s: unknown[]) => Promise<void>)(...stages);
    await rename(temp, path);
  } catch (err) {
    await rm(temp, { force: true });
    throw err;
  }
  return { path, aggregateChecksum, definition };
}
