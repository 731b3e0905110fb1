/**
 * A Zarf package file as a stream of archive bytes: a `.tar`, a `.tar.zst` (one plain zstd stream: not seekable,
 * so it is read front to back), or the parts of a split package read in place one after the other. Nothing is
 * reassembled or extracted on disk. Detection is by name first (`zarf-package-…`, `zarf-init-…`, `.partNNN`), then
 * by content: a tar whose first entries are Zarf's (`checksums.txt`, `components/`, `images/`, `zarf.yaml`).
 */
import { open, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { Readable } from 'node:stream';
import { DecompressStream } from 'zstd-napi';
import { openFileReader } from '../../src/archive/file-reader.js';
import { ConcatReader } from '../../src/archive/concat-reader.js';
import { AirbundleError } from '../../src/errors.js';
import { isSplitPartName, openSplitParts, type SplitMetadata } from './split-parts.js';

/** PackageSource is where a package's archive bytes come from. */
export interface PackageSource {
  /** As given by the user. */
  path: string;
  /** The tarball name (a split package's base name). */
  name: string;
  /** True for `.tar.zst` (and split parts of one). */
  compressed: boolean;
  /** Bytes of the archive file (all parts together). */
  size: number;
  /** Parts in order, for a split package. */
  parts?: string[];
  /** The split metadata (whole-file sha256 and size), for a split package. */
  split?: SplitMetadata;
  /** open streams the archive bytes from the start (compressed as stored). */
  open(signal?: AbortSignal): Promise<Readable>;
}

const ZSTD_MAGIC = Buffer.from([0x28, 0xb5, 0x2f, 0xfd]);
/** Last 4 bytes of a seekable zstd file (our own bundles): never a Zarf package. */
const SEEKABLE_MAGIC = 0x8f92eab1;
const ZARF_FIRST_ENTRIES = new Set(['checksums.txt', 'components/', 'components', 'images/', 'images', 'zarf.yaml', 'zarf.bundle.sig', 'zarf.yaml.sig', 'sboms.tar', 'documentation.tar']);

/** openPackageSource opens a package given by its file name or any of its split parts. */
export async function openPackageSource(path: string): Promise<PackageSource> {
  if (isSplitPartName(path)) {
    const split = await openSplitParts(path);
    const paths = split.parts.map((p) => p.path);
    return {
      path,
      name: basename(split.base),
      compressed: !split.base.endsWith('.tar'),
      size: split.meta.Bytes,
      parts: paths,
      split: split.meta,
      open: async (signal) => {
        const reader = new ConcatReader(await Promise.all(paths.map((p) => openFileReader(p))));
        const stream = reader.stream(0, reader.size, signal !== undefined ? { signal } : {});
        stream.once('close', () => void reader.close());
        return stream;
      },
    };
  }
  const info = await stat(path).catch(() => undefined);
  if (info === undefined || !info.isFile()) throw new AirbundleError('BUNDLE_NOT_FOUND', `cannot open the Zarf package ${path}: no such file`);
  const head = await readHead(path, 4);
  return {
    path,
    name: basename(path),
    compressed: head.equals(ZSTD_MAGIC),
    size: info.size,
    open: async (signal) => {
      const reader = await openFileReader(path);
      const stream = reader.stream(0, reader.size, signal !== undefined ? { signal } : {});
      stream.once('close', () => void reader.close());
      return stream;
    },
  };
}

/**
 * isZarfPackage tells, without reading more than a few kilobytes, whether `path` is a Zarf package: by its name
 * (`zarf-package-*.tar[.zst]`, `zarf-init-*`, `*.partNNN` with Zarf split metadata), or by the first tar entry of a
 * plain `.tar` or non-seekable `.tar.zst`.
 */
export async function isZarfPackage(path: string): Promise<boolean> {
  if (isSplitPartName(path)) return true;
  const info = await stat(path).catch(() => undefined);
  if (info === undefined || !info.isFile() || info.size < 512) return false;
  const name = basename(path);
  if (/^zarf-(package|init)-.+\.tar(\.zst)?$/.test(name)) return true;
  if (!/\.tar(\.zst)?$/.test(name)) return false;
  const head = await readHead(path, 64 * 1024);
  let tarHead: Buffer;
  if (head.subarray(0, 4).equals(ZSTD_MAGIC)) {
    const tail = await readTail(path, 4);
    if (tail.readUInt32LE(0) === SEEKABLE_MAGIC) return false;
    tarHead = await inflateHead(head, 512);
  } else {
    tarHead = head;
  }
  if (tarHead.length < 512) return false;
  const first = tarHead.subarray(0, 100).toString('utf8').replace(/\0.*$/s, '');
  return ZARF_FIRST_ENTRIES.has(first);
}

async function readHead(path: string, n: number): Promise<Buffer> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(n);
    const { bytesRead } = await fh.read(buf, 0, n, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

async function readTail(path: string, n: number): Promise<Buffer> {
  const fh = await open(path, 'r');
  try {
    const { size } = await fh.stat();
    const buf = Buffer.alloc(Math.min(n, size));
    await fh.read(buf, 0, buf.length, size - buf.length);
    return buf;
  } finally {
    await fh.close();
  }
}

/** inflateHead decompresses the start of a zstd stream, up to `want` bytes (fewer if the input ends first). */
async function inflateHead(compressed: Buffer, want: number): Promise<Buffer> {
  const d = new DecompressStream();
  const chunks: Buffer[] = [];
  let got = 0;
  return new Promise<Buffer>((resolve) => {
    const done = (): void => {
      d.destroy();
      resolve(Buffer.concat(chunks).subarray(0, want));
    };
    d.on('data', (c: Buffer) => {
      chunks.push(c);
      got += c.length;
      if (got >= want) done();
    });
    d.on('error', done);
    d.on('end', done);
    d.end(compressed);
  });
}

/** decompressed returns the archive bytes of a source: through a zstd decoder when compressed. */
export function decompressed(raw: Readable, compressed: boolean): Readable {
  if (!compressed) return raw;
  const d = new DecompressStream();
  raw.on('error', (err) => d.destroy(err));
  return raw.pipe(d);
}
