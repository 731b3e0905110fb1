import { checkedGraphs } from './bundle/artifact-graph.js';
import { BundleReader } from './bundle/reader.js';
import { copyGraph } from './content/copy-graph.js';
import { LayoutStore } from './content/layout-store.js';
import { noProgress, type ProgressSink } from './progress/events.js';

/** ExportedRef is one reference written to the layout. */
export interface ExportedRef {
  ref: string;
  kind: string;
  digest: string;
  mediaType: string;
}

/**
 * exportBundle copies every artifact of a bundle into a standard OCI image layout directory, each tagged with
 * its `org.opencontainers.image.ref.name`, so that `skopeo copy oci:DIR:REF …` and other OCI tools can read it.
 * Blobs are verified as they land; a re-run skips what is already there.
 */
export async function exportBundle(path: string, layoutDir: string, options: { onEvent?: ProgressSink; signal?: AbortSignal } = {}): Promise<ExportedRef[]> {
  const onEvent = options.onEvent ?? noProgress;
  const reader = await BundleReader.open(path);
  try {
    // Checked before the layout is created: a bundle that could only be exported in part writes nothing.
    const graphs = await checkedGraphs(reader, reader.manifest.artifacts, options.signal);
    const store = await LayoutStore.open(layoutDir, { create: true });
    const total = reader.manifest.blobs.reduce((n, b) => n + b.size, 0);
    onEvent({ type: 'phase-start', phase: 'export', title: `Export to ${layoutDir}`, total });
    let done = 0;
    const out: ExportedRef[] = [];
    for (const { artifact: a, root } of graphs) {
      await copyGraph(reader, store, root, {
        signal: options.signal,
        onBytes: (_desc, n) => {
          done += n;
          onEvent({ type: 'bytes', phase: 'export', item: 'all', done, total });
        },
        onSkipped: (desc) => onEvent({ type: 'item-end', phase: 'export', item: desc.digest, skipped: true }),
      });
      const { annotations: _drop, ...plain } = { ...a.root, digest: root.digest };
      await store.tag(plain, a.ref);
      out.push({ ref: a.ref, kind: a.kind, digest: a.root.digest, mediaType: a.root.mediaType });
    }
    await store.saveIndex();
    onEvent({ type: 'phase-end', phase: 'export', title: `Export to ${layoutDir}` });
    return out;
  } finally {
    await reader.close();
  }
}
