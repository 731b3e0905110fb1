import { pipeline, Readable } from 'node:stream';
import { createTarStream, type TarEntrySource } from '../archive/tar-writer.js';
import { digestHex, sha256Digest } from '../content/digest.js';
import { verifyStream } from '../content/verify-stream.js';
import type { MaterializePlan } from './materialize-plan.js';
import { fileDescriptor, openFileSource } from './write-file.js';

/**
 * Names inside the stream's tar, relative to the loader's staging directory. Layout files travel under
 * neutral names (`file-000000`, …) and `PLACES` says where each goes, so no path from the artifact is ever
 * handed to `tar -x`; `SHA256SUMS` covers every entry and is checked before anything is moved into place.
 */
export const STREAM_ENTRIES = { sums: 'SHA256SUMS', places: 'PLACES', manifest: 'MATERIALIZED', done: 'DONE' } as const;

/** streamEntryName is the tar name of the i-th file of a plan. */
export function streamEntryName(i: number): string {
  return `file-${String(i).padStart(6, '0')}`;
}

/**
 * createFileTarStream streams the files of a plan, straight from the bundle, as a tar for the in-pod loader
 * (loaderScript): first `SHA256SUMS`, `PLACES`, `MATERIALIZED` (the bytes of `.airbundle-materialized.json`)
 * and `DONE`, then every file under its neutral name. Each blob is verified as it is read, so a damaged bundle
 * cuts the stream instead of sending bad bytes. Reproducible: same plan, same tar bytes.
 */
export function createFileTarStream(plan: MaterializePlan, options: { signal?: AbortSignal } = {}): Readable {
  const sums = [
    ...plan.files.map((f, i) => `${digestHex(f.digest)}  ${streamEntryName(i)}\n`),
    `${digestHex(sha256Digest(plan.manifest))}  ${STREAM_ENTRIES.manifest}\n`,
    `${digestHex(sha256Digest(plan.done))}  ${STREAM_ENTRIES.done}\n`,
  ].join('');
  const places = plan.files.map((f, i) => `${streamEntryName(i)} ${f.path}\n`).join('');
  const inline = (name: string, bytes: Buffer): TarEntrySource => ({ name, size: bytes.length, open: async () => Readable.from([bytes]) });
  const entries: TarEntrySource[] = [
    inline(STREAM_ENTRIES.sums, Buffer.from(sums)),
    inline(STREAM_ENTRIES.places, Buffer.from(places)),
    inline(STREAM_ENTRIES.manifest, plan.manifest),
    inline(STREAM_ENTRIES.done, plan.done),
    ...plan.files.map(
      (f, i): TarEntrySource => ({
        name: streamEntryName(i),
        size: f.size,
        open: async () => {
          const body = await openFileSource(plan.storage, f, 0, options.signal);
          // The callback form returns the last stream and destroys it with the error of any stage.
          return pipeline(body, verifyStream(fileDescriptor(f), { name: f.path }), () => undefined);
        },
      }),
    ),
  ];
  return createTarStream(entries);
}
