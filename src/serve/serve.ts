import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { checkedGraphs } from '../bundle/artifact-graph.js';
import { BundleReader } from '../bundle/reader.js';
import { ANNOTATION_REF_NAME, BUNDLE_MANIFEST_FILE } from '../bundle/layout.js';
import { parseDigest } from '../content/digest.js';
import { LayoutStore } from '../content/layout-store.js';
import type { ReadOnlyStorage } from '../content/storage.js';
import { AirbundleError } from '../errors.js';
import type { ProgressSink } from '../progress/events.js';
import { startRegistryServer, type RunningRegistryServer } from './registry-server.js';
import { buildServeCatalog } from './serve-catalog.js';

/** ServeOptions for {@link serve}. */
export interface ServeOptions {
  host: string;
  port: number;
  /** Repository prefix, as for push: `PREFIX/library/alpine`. */
  prefix?: string;
  onEvent?: ProgressSink;
}

/** ServingBundle is a running server and what it serves. */
export interface ServingBundle extends RunningRegistryServer {
  references: string[];
}

/**
 * serve exposes a bundle (any physical form, read in place) or an OCI image layout directory as a read-only
 * registry, under the same names `bundle push` would use, so nodes can pull with nothing extracted.
 */
export async function serve(path: string, options: ServeOptions): Promise<ServingBundle> {
  const { storage, artifacts, close } = await openServable(path);
  try {
    const catalog = await buildServeCatalog(storage, artifacts, options.prefix);
    const server = await startRegistryServer({ host: options.host, port: options.port, catalog, storage, onEvent: options.onEvent });
    const references = [...catalog.entries()].flatMap(([repo, r]) => [...r.tags.keys()].map((t) => `${server.address}/${repo}:${t}`)).sort();
    return {
      ...server,
      references,
      close: async () => {
        await server.close();
        await close();
      },
    };
  } catch (err) {
    await close();
    throw err;
  }
}

async function openServable(path: string) {
  const isLayoutOnly =
    (await stat(path).catch(() => undefined))?.isDirectory() === true && (await stat(join(path, BUNDLE_MANIFEST_FILE)).catch(() => undefined)) === undefined;
  if (isLayoutOnly) {
    const store = await LayoutStore.open(path).catch(() => {
      throw new AirbundleError('BUNDLE_UNREADABLE', `${path} is neither a bundle nor an OCI image layout`, { hint: 'give a bundle (directory, .tar, .tar.zst, volume or .parts.json) or an OCI layout directory' });
    });
    const artifacts = (await store.manifests())
      .filter((d) => d.annotations?.[ANNOTATION_REF_NAME] !== undefined)
      .map((d) => ({ ref: d.annotations![ANNOTATION_REF_NAME]!, root: { mediaType: d.mediaType, digest: d.digest, size: d.size } }));
    return { storage: store as ReadOnlyStorage, artifacts, close: async () => undefined };
  }
  const reader = await BundleReader.open(path);
  // A bundle that cannot serve every blob of its artifacts is refused before it is served in part.
  await checkedGraphs(reader, reader.manifest.artifacts).catch(async (err: unknown) => {
    await reader.close();
    throw err;
  });
  const artifacts = reader.manifest.artifacts.map((a) => ({ ref: a.ref, root: { mediaType: a.root.mediaType, digest: parseDigest(a.root.digest), size: a.root.size } }));
  return { storage: reader as ReadOnlyStorage, artifacts, close: () => reader.close() };
}
