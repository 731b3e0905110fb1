import { isManifestMediaType } from '../bundle/layout.js';
import type { Descriptor } from './descriptor.js';
import { isDigest } from './digest.js';
import { fetchJson } from './fetch-bytes.js';
import type { Fetcher } from './storage.js';

/**
 * successorsOf returns the children of a node parsed from its JSON: an index's manifests, a manifest's config
 * and layers (and subject is *not* a child: it is a predecessor). Blobs have no children.
 * Reference: oras-go content/graph.go Successors.
 */
export function successorsOf(mediaType: string, doc: unknown): Descriptor[] {
  if (!isManifestMediaType(mediaType) || doc === null || typeof doc !== 'object') return [];
  const record = doc as Record<string, unknown>;
  const out: Descriptor[] = [];
  if (isDescriptor(record.config)) out.push(record.config);
  for (const key of ['layers', 'manifests', 'blobs'] as const) {
    const list = record[key];
    if (Array.isArray(list)) for (const item of list) if (isDescriptor(item)) out.push(item);
  }
  return out;
}

/** successors fetches a manifest or index and returns its children; a blob has none. */
export async function successors(fetcher: Fetcher, desc: Descriptor, signal?: AbortSignal): Promise<Descriptor[]> {
  if (!isManifestMediaType(desc.mediaType)) return [];
  return successorsOf(desc.mediaType, await fetchJson(fetcher, desc, signal));
}

/** walkGraph lists every node reachable from `root`, each once, children before parents. */
export async function walkGraph(fetcher: Fetcher, root: Descriptor, signal?: AbortSignal): Promise<Descriptor[]> {
  const seen = new Set<string>();
  const out: Descriptor[] = [];
  const visit = async (node: Descriptor): Promise<void> => {
    if (seen.has(node.digest)) return;
    seen.add(node.digest);
    for (const child of await successors(fetcher, node, signal)) await visit(child);
    out.push(node);
  };
  await visit(root);
  return out;
}

/** isDescriptor is a structural guard for descriptors found in JSON. */
export function isDescriptor(value: unknown): value is Descriptor {
  if (value === null || typeof value !== 'object') return false;
  const v = value as Record<string, unknown>;
  return typeof v.mediaType === 'string' && isDigest(v.digest) && typeof v.size === 'number' && Number.isSafeInteger(v.size) && v.size >= 0;
}
