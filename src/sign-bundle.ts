import { rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { BundleReader } from './bundle/reader.js';
import { BUNDLE_SIGNATURE_FILE } from './bundle/layout.js';
import { writeBundle } from './bundle/writer.js';
import { noProgress, type ProgressSink } from './progress/events.js';
import { writeFileAtomic } from './util/fs-atomic.js';

/**
 * signBundle (re-)signs an existing bundle. A directory gets a new bundle.sig by atomic rename. An archive is
 * rewritten with the new bundle.sig entry (streamed from the old one, every blob verified on the way) under
 * temp names, then renamed over the original files, so a failure leaves the original intact.
 */
export async function signBundle(
  path: string,
  sign: (manifestBytes: Buffer) => Promise<Buffer>,
  options: { onEvent?: ProgressSink; signal?: AbortSignal } = {},
): Promise<{ files: string[] }> {
  const reader = await BundleReader.open(path);
  try {
    const signature = await sign(reader.manifestBytes);
    if (reader.form === 'dir') {
      await writeFileAtomic(join(reader.path, BUNDLE_SIGNATURE_FILE), signature);
      return { files: [join(reader.path, BUNDLE_SIGNATURE_FILE)] };
    }
    const out = reader.volumes !== undefined ? reader.volumes.basePath : reader.path;
    // Written under the same base name in a sibling staging directory, so the parts list names the right files.
    const stagingDir = join(dirname(out), `.signing-${process.pid}`);
    const staging = join(stagingDir, basename(out));
    const written = await writeBundle({
      out: staging,
      ...(reader.volumes !== undefined ? { volumeSize: reader.volumes.parts.volumeSize } : {}),
      manifest: reader.manifest,
      manifestBytes: reader.manifestBytes,
      signature,
      index: reader.index,
      storage: reader,
      onEvent: options.onEvent ?? noProgress,
      signal: options.signal,
    }).catch(async (err: unknown) => {
      await rm(stagingDir, { recursive: true, force: true });
      throw err;
    });
    // Volumes first, the parts list last (the writer lists it last), so a reader never pairs old and new.
    const files: string[] = [];
    for (const file of written.files) {
      const target = join(dirname(out), basename(file));
      await rename(file, target);
      files.push(target);
    }
    await rm(stagingDir, { recursive: true, force: true });
    return { files };
  } finally {
    await reader.close();
  }
}
