/**
 * walkPackage reads a Zarf package front to back in one stream (file or parts → zstd decoder → tar parser) and
 * hands each regular file to a visitor, in archive order. Nothing touches the disk. The visitor consumes or skips
 * the body; whatever it leaves is drained. A damaged archive (zstd or tar) fails naming the entry being read.
 */
import type { Readable } from 'node:stream';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import { DecompressStream } from 'zstd-napi';
import { AirbundleError, errorMessage, isAirbundleError } from '../../src/errors.js';
import type { PackageSource } from './package-source.js';

/**
 * PackageEntry is one regular file of the package; `body` yields exactly `size` bytes. Read it to its end or not
 * at all (the walk drains what is left); breaking out of it half way would end the whole archive stream.
 */
export interface PackageEntry {
  /** Path inside the package, forward slashes, no leading `./`. */
  name: string;
  size: number;
  body: AsyncIterable<Buffer>;
}

/** WalkOptions for {@link walkPackage}. */
export interface WalkOptions {
  signal?: AbortSignal;
  /** Each piece of archive bytes as read from disk (compressed, as stored): for progress and whole-file hashes. */
  onRaw?: (chunk: Buffer) => void;
}

/** Visitor handles one entry; returning `'stop'` ends the walk early (the rest of the archive is not read). */
export type Visitor = (entry: PackageEntry) => Promise<void | 'stop'>;

/** walkPackage streams `source` once, calling `visit` for every regular file. */
export async function walkPackage(source: PackageSource, visit: Visitor, options: WalkOptions = {}): Promise<void> {
  const raw = await source.open(options.signal);
  const extract = tar.extract();
  const stages: Array<Readable | Transform | NodeJS.WritableStream> = [raw];
  if (options.onRaw !== undefined) stages.push(tap(options.onRaw));
  if (source.compressed) stages.push(new DecompressStream());
  stages.push(extract);
  let stopped = false;
  let feedError: unknown;
  const feeding = (pipeline as (...s: unknown[]) => Promise<void>)(...stages, ...(options.signal !== undefined ? [{ signal: options.signal }] : [])).catch((err: unknown) => {
    feedError = err;
  });
  let current: string | undefined;
  let last: string | undefined;
  const seen = new Set<string>();
  try {
    for await (const entry of extract) {
      const h = entry.header;
      const name = entryName(h.name, source.name);
      if (h.type === 'directory') {
        entry.resume();
        continue;
      }
      if (h.type !== 'file' && h.type !== 'contiguous-file') {
        throw new AirbundleError('ZARF_PACKAGE_CORRUPT', `${source.name}: entry ${name} is a ${String(h.type)}, not a file; Zarf packages hold only files`);
      }
      if (seen.has(name)) throw new AirbundleError('ZARF_PACKAGE_CORRUPT', `${source.name} holds ${name} twice: a later copy would shadow the checked one`);
      seen.add(name);
      current = name;
      const result = await visit({ name, size: h.size, body: entry as AsyncIterable<unknown> as AsyncIterable<Buffer> });
      entry.resume();
      last = name;
      current = undefined;
      if (result === 'stop') {
        stopped = true;
        break;
      }
    }
  } catch (err) {
    raw.destroy();
    if (isAirbundleError(err) && err.code !== 'ABORTED') throw err;
    options.signal?.throwIfAborted();
    throw damaged(source, feedError ?? err, current, last);
  }
  if (stopped) {
    raw.destroy();
    return;
  }
  await feeding;
  if (feedError !== undefined) {
    options.signal?.throwIfAborted();
    throw damaged(source, feedError, current, last);
  }
}

/** entryName normalises a tar path and refuses names that climb out of the package. */
function entryName(raw: string, pkg: string): string {
  const name = raw.replace(/^\.\/+/, '').replace(/\/+$/, '');
  if (name === '' || name.startsWith('/') || name.split('/').includes('..')) {
    throw new AirbundleError('ZARF_PACKAGE_CORRUPT', `${pkg}: entry ${JSON.stringify(raw)} is not a path inside the package`);
  }
  return name;
}

function damaged(source: PackageSource, err: unknown, current: string | undefined, last: string | undefined): AirbundleError {
  if (isAirbundleError(err)) return err;
  const where = current !== undefined ? `while reading ${current}` : last !== undefined ? `after ${last}` : 'at its start';
  return new AirbundleError('ZARF_PACKAGE_CORRUPT', `${source.name} is damaged ${where}: ${errorMessage(err)}`, {
    hint: 'get an undamaged copy of the package (compare it with the sha256 of the original)',
    cause: err,
    details: { file: current ?? last ?? source.name },
  });
}

function tap(onRaw: (chunk: Buffer) => void): Transform {
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      onRaw(chunk);
      cb(null, chunk);
    },
  });
}
