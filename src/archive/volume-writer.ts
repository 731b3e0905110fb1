import { createHash, type Hash } from 'node:crypto';
import { open, readdir, rename, rm, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { Writable } from 'node:stream';
import { AirbundleError } from '../errors.js';
import { tempPathFor } from '../util/fs-atomic.js';

/** Bytes at the head of each volume whose sha256 identifies it (to detect swapped or renamed volumes). */
export const VOLUME_HEAD_SIZE = 64 * 1024;

/** VolumeRecord describes one written volume. */
export interface VolumeRecord {
  name: string;
  size: number;
  sha256: string;
  headSha256: string;
}

/** VolumeWriter is a Writable that cuts what it is given into volumes; `result()` lists them once finished. */
export interface VolumeWriter extends Writable {
  result(): { volumes: VolumeRecord[]; totalSize: number };
}

/** volumeName returns the file name of volume `index`: `b.tar.zst.000`. */
export function volumeName(basePath: string, index: number): string {
  return `${basename(basePath)}.${String(index).padStart(3, '0')}`;
}

interface OpenVolume {
  fh: FileHandle;
  tmp: string;
  final: string;
  size: number;
  hash: Hash;
  head: Hash;
}

/**
 * createVolumeWriter writes `basePath.000`, `.001`, … of exactly `volumeSize` bytes each (the last one
 * shorter). Each volume is written under a temp name, synced, and renamed when full, so no volume is ever
 * seen half-written. Volumes of an earlier, longer run with the same name are removed at the end.
 */
export function createVolumeWriter(options: { basePath: string; volumeSize: number }): VolumeWriter {
  const { basePath, volumeSize } = options;
  if (!Number.isSafeInteger(volumeSize) || volumeSize < VOLUME_HEAD_SIZE) {
    throw new AirbundleError('USAGE', `--volume-size must be at least ${VOLUME_HEAD_SIZE / 1024}K, not ${volumeSize} bytes`);
  }
  const dir = dirname(basePath);
  const done: VolumeRecord[] = [];
  let current: OpenVolume | undefined;
  let total = 0;
  let finished = false;

  const start = async (): Promise<OpenVolume> => {
    const final = join(dir, volumeName(basePath, done.length));
    const tmp = tempPathFor(final);
    return { fh: await open(tmp, 'w'), tmp, final, size: 0, hash: createHash('sha256'), head: createHash('sha256') };
  };
  const finish = async (v: OpenVolume): Promise<void> => {
    await v.fh.sync();
    await v.fh.close();
    await rename(v.tmp, v.final);
    done.push({ name: basename(v.final), size: v.size, sha256: v.hash.digest('hex'), headSha256: v.head.digest('hex') });
  };
  const write = async (chunk: Buffer): Promise<void> => {
    let data = chunk;
    while (data.length > 0) {
      current ??= await start();
      const take = Math.min(volumeSize - current.size, data.length);
      const piece = data.subarray(0, take);
      if (current.size < VOLUME_HEAD_SIZE) current.head.update(piece.subarray(0, VOLUME_HEAD_SIZE - current.size));
      current.hash.update(piece);
      let written = 0;
      while (written < piece.length) {
        const r = await current.fh.write(piece, written, piece.length - written);
        written += r.bytesWritten;
      }
      current.size += take;
      total += take;
      data = data.subarray(take);
      if (current.size === volumeSize) {
        await finish(current);
        current = undefined;
      }
    }
  };
  const removeStale = async (): Promise<void> => {
    const prefix = `${basename(basePath)}.`;
    for (const name of await readdir(dir)) {
      const m = name.startsWith(prefix) ? /^(\d{3,})$/.exec(name.slice(prefix.length)) : null;
      if (m !== null && Number(m[1]) >= done.length) await rm(join(dir, name), { force: true });
    }
  };

  const writer = new Writable({
    highWaterMark: 4 * 1024 * 1024,
    write(chunk: Buffer, _enc, cb) {
      write(chunk).then(() => cb(), cb);
    },
    final(cb) {
      (async () => {
        if (current !== undefined) await finish(current);
        current = undefined;
        await removeStale();
        finished = true;
      })().then(() => cb(), cb);
    },
    destroy(err, cb) {
      const v = current;
      current = undefined;
      if (v === undefined) {
        cb(err);
        return;
      }
      v.fh.close().catch(() => undefined).then(() => rm(v.tmp, { force: true })).then(() => cb(err), () => cb(err));
    },
  }) as VolumeWriter;
  writer.result = () => {
    if (!finished) throw new AirbundleError('INTERNAL', 'volume writer: result() called before the stream finished');
    return { volumes: [...done], totalSize: total };
  };
  return writer;
}
