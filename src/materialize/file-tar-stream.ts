import { pipeline, Readable, Transform } from 'node:stream';
import { createTarStream, type TarEntrySource } from '../archive/tar-writer.js';
import { digestHex, sha256Digest } from '../content/digest.js';
import { verifyStream } from '../content/verify-stream.js';
import type { MaterializePlan, PlannedFile } from './materialize-plan.js';
import { fullStreamPlan, type ContentSend, type StreamPlan } from './stream-plan.js';
import { fileDescriptor, openFileSource } from './write-file.js';

/**
 * Names inside the stream's tar, relative to the loader's staging directory. File contents travel under their
 * sha256 hex (`<hex>`, or `<hex>.<offset>` for the rest of a content staged in part) and `PLACES` says where each
 * goes, so no path from the artifact is ever handed to `tar -x`, and what a cut stream left is found by name.
 * `SHA256SUMS` covers every content the plan needs and the two markers, and is checked before anything is moved
 * into place; `APPEND` lists the tails to append (`<hex> <offset>`).
 */
export const STREAM_ENTRIES = { sums: 'SHA256SUMS', places: 'PLACES', append: 'APPEND', manifest: 'MATERIALIZED', done: 'DONE' } as const;

/** streamEntryName is the tar name of a content: its hex, with `.<offset>` when only its rest is sent. */
export function streamEntryName(send: ContentSend): string {
  const hex = digestHex(send.file.digest);
  return send.offset > 0 ? `${hex}.${send.offset}` : hex;
}

/**
 * streamPlaces is the `PLACES` list: `<op> <hex> <path>` for every file of the plan, in plan order, where op is
 * `mv` for the last file of each content and `cp` for the ones before it (the same content at two paths). Pure.
 */
export function streamPlaces(files: readonly PlannedFile[]): string {
  const last = new Map<string, number>();
  files.forEach((f, i) => last.set(f.digest, i));
  return files.map((f, i) => `${last.get(f.digest) === i ? 'mv' : 'cp'} ${digestHex(f.digest)} ${f.path}\n`).join('');
}

/** FileTarStreamOptions for {@link createFileTarStream}. */
export interface FileTarStreamOptions {
  /** What to send (planStream, from what the volume already holds). Default: every content whole. */
  send?: StreamPlan;
  signal?: AbortSignal;
  /** Running count of the bytes of one content read into the stream (from its offset). */
  onBytes?: (send: ContentSend, done: number) => void;
}

/**
 * createFileTarStream streams a plan, straight from the bundle, as a tar for the in-pod loader (loaderScript):
 * first `SHA256SUMS`, `PLACES`, `APPEND`, `MATERIALIZED` (the bytes of `.airbundle-materialized.json`) and
 * `DONE`, then each content of `options.send` under its hex name, once however many paths hold it. Each content is
 * verified as it is read (a tail against the hash of its staged start), so a damaged bundle cuts the stream instead
 * of sending bad bytes. Reproducible: same plan and send plan, same tar bytes.
 */
export function createFileTarStream(plan: MaterializePlan, options: FileTarStreamOptions = {}): Readable {
  const send = options.send ?? fullStreamPlan(plan);
  const sums = [
    ...[...new Set(plan.files.map((f) => digestHex(f.digest)))].map((hex) => `${hex}  ${hex}\n`),
    `${digestHex(sha256Digest(plan.manifest))}  ${STREAM_ENTRIES.manifest}\n`,
    `${digestHex(sha256Digest(plan.done))}  ${STREAM_ENTRIES.done}\n`,
  ].join('');
  const append = send.sends
    .filter((s) => s.offset > 0)
    .map((s) => `${digestHex(s.file.digest)} ${s.offset}\n`)
    .join('');
  const inline = (name: string, bytes: Buffer): TarEntrySource => ({ name, size: bytes.length, open: async () => Readable.from([bytes]) });
  const entries: TarEntrySource[] = [
    inline(STREAM_ENTRIES.sums, Buffer.from(sums)),
    inline(STREAM_ENTRIES.places, Buffer.from(streamPlaces(plan.files))),
    inline(STREAM_ENTRIES.append, Buffer.from(append)),
    inline(STREAM_ENTRIES.manifest, plan.manifest),
    inline(STREAM_ENTRIES.done, plan.done),
    ...send.sends.map(
      (s): TarEntrySource => ({
        name: streamEntryName(s),
        size: s.file.size - s.offset,
        open: async () => {
          const body = await openFileSource(plan.storage, s.file, s.offset, options.signal);
          const verify = verifyStream(fileDescriptor(s.file), { name: s.file.path, offset: s.offset, hash: s.prefix.copy() });
          // The callback form returns the last stream and destroys it with the error of any stage.
          if (options.onBytes === undefined) return pipeline(body, verify, () => undefined);
          return pipeline(body, verify, counter(s, options.onBytes), () => undefined);
        },
      }),
    ),
  ];
  return createTarStream(entries);
}

/** counter reports the running byte count of one content as it passes. */
function counter(send: ContentSend, onBytes: (send: ContentSend, done: number) => void): Transform {
  let done = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      done += chunk.length;
      onBytes(send, done);
      callback(null, chunk);
    },
    flush(callback) {
      if (done === 0) onBytes(send, 0); // an empty file: still reported once
      callback();
    },
  });
}
