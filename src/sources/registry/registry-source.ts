import { ingestResumable } from '../../cache/resumable-ingest.js';
import { MT_OCI_INDEX, isIndexMediaType, isManifestMediaType } from '../../bundle/layout.js';
import { createLimiter } from '../../content/copy-graph.js';
import type { Descriptor } from '../../content/descriptor.js';
import type { Digest } from '../../content/digest.js';
import { successorsOf } from '../../content/graph.js';
import { MemoryStore, UnionStorage } from '../../content/memory-store.js';
import { AirbundleError } from '../../errors.js';
import { parseReference, type Reference } from '../../oci/reference.js';
import { Registry } from '../../oci/registry.js';
import type { Repository } from '../../oci/repository.js';
import { canonicalJson } from '../../util/canonical-json.js';
import type { ResolvedArtifact, SourceContext } from '../source.js';
import { platformName, selectPlatforms } from './platform-filter.js';

/** RegistryImageEntry is the part of a spec entry a registry source reads. */
export interface RegistryEntry {
  source: string;
  name?: string;
  platforms?: string[];
}

/**
 * resolveRegistryArtifact resolves an image or model in a registry to its exact digest, narrows an index to the
 * platforms asked for, and downloads every blob not already cached (resumably, across runs). Manifests are
 * kept byte for byte, so digests are those of the registry; only a narrowed multi-platform index is new (its
 * source digest is recorded in the provenance).
 */
export async function resolveRegistryArtifact(entry: RegistryEntry, ctx: SourceContext, kind: 'image' | 'model', modelTag?: string): Promise<ResolvedArtifact> {
  const ref = parseReference(entry.source.replace(/^oci:\/\//, ''));
  const registry = new Registry(ref.registry, { ...ctx.registry, onEvent: ctx.onEvent, phase: 'resolve' });
  try {
    const repo = registry.repository(ref.repository);
    const what = `${kind} ${entry.source}`;
    const pinned = ref.digest;
    const resolved = await repo.resolve(pinned ?? ref.tag ?? 'latest', { signal: ctx.signal });
    const memory = new MemoryStore();
    const top = await repo.fetchManifest(resolved, { signal: ctx.signal });
    const details: Record<string, string> = { repository: `${ref.registry}/${ref.repository}` };
    let root: Descriptor = top.descriptor;
    memory.add(top.descriptor.mediaType, top.bytes);
    let platforms: string[] | undefined;

    if (isIndexMediaType(root.mediaType) && entry.platforms !== undefined && entry.platforms.length > 0) {
      const doc = JSON.parse(top.bytes.toString('utf8')) as { manifests?: Descriptor[] };
      if (pinned !== undefined) {
        ctx.onEvent({ type: 'warn', phase: 'resolve', message: `${what}: pinned by index digest, so every platform is kept (platforms: ignored)` });
      } else {
        const picked = selectPlatforms(doc.manifests ?? [], entry.platforms, what);
        platforms = picked.map((d) => platformName(d)!);
        details.sourceDigest = root.digest;
        if (picked.length === 1) {
          root = picked[0]!;
        } else {
          const narrowed = Buffer.from(canonicalJson({ schemaVersion: 2, mediaType: MT_OCI_INDEX, manifests: picked }));
          root = memory.add(MT_OCI_INDEX, narrowed);
        }
      }
    }

    const chunks = new Map<Digest, Digest[]>();
    await fetchGraph(repo, root, memory, ctx, chunks, entry.name ?? entry.source);
    const tag = ref.tag ?? (pinned !== undefined ? `sha256-${pinned.slice(7, 19)}` : 'latest');
    return {
      kind,
      name: entry.name ?? (kind === 'model' ? ref.repository.split('/').pop()! : `${ref.registry}/${ref.repository}:${tag}`),
      ref: kind === 'model' ? `models/${entry.name ?? ref.repository.split('/').pop()}:${modelTag ?? tag}` : (entry.name ?? `${ref.registry}/${ref.repository}:${tag}`),
      source: entry.source,
      root,
      storage: new UnionStorage([memory, ctx.cache.blobs]),
      chunks,
      provenance: {
        type: 'oci',
        uri: formatSource(ref),
        revision: top.descriptor.digest,
        resolvedAt: ctx.now.toISOString(),
        details,
      },
      ...(platforms !== undefined ? { platforms } : {}),
    };
  } finally {
    registry.close();
  }
}

/** fetchGraph keeps manifests in memory and downloads blobs into the cache, three at a time. */
async function fetchGraph(repo: Repository, root: Descriptor, memory: MemoryStore, ctx: SourceContext, chunks: Map<Digest, Digest[]>, label: string): Promise<void> {
  const limit = createLimiter(3);
  const seen = new Set<string>();
  const visit = async (desc: Descriptor): Promise<void> => {
    if (seen.has(desc.digest)) return;
    seen.add(desc.digest);
    if (isManifestMediaType(desc.mediaType)) {
      let bytes: Buffer;
      if (await memory.exists(desc)) {
        const parts: Buffer[] = [];
        for await (const p of await memory.fetch(desc)) parts.push(p as Buffer);
        bytes = Buffer.concat(parts);
      } else {
        bytes = (await repo.fetchManifest(desc, { signal: ctx.signal })).bytes;
        memory.add(desc.mediaType, bytes);
      }
      await Promise.all(successorsOf(desc.mediaType, JSON.parse(bytes.toString('utf8'))).map(visit));
      return;
    }
    const item = `${label}/${desc.digest.slice(7, 19)}`;
    if (await ctx.cache.blobs.exists(desc)) {
      ctx.onEvent({ type: 'item-end', phase: 'resolve', item, cached: true });
      return;
    }
    await limit(async () => {
      ctx.onEvent({ type: 'item-start', phase: 'resolve', item, total: desc.size });
      let done = 0;
      const got = await ingestResumable(ctx.cache, desc, (offset) => repo.fetch(desc, { offset, signal: ctx.signal }), {
        chunkSize: ctx.chunkSize,
        name: `${label} blob ${desc.digest}`,
        signal: ctx.signal,
        onBytes: (n) => {
          done += n;
          ctx.onEvent({ type: 'bytes', phase: 'resolve', item, done, total: desc.size });
        },
      });
      if (got.length > 0) chunks.set(desc.digest, got);
      ctx.onEvent({ type: 'item-end', phase: 'resolve', item });
    });
  };
  await visit(root);
  if (!(await memory.exists(root))) throw new AirbundleError('INTERNAL', `root manifest ${root.digest} was not kept`);
}

function formatSource(ref: Reference): string {
  return `${ref.registry}/${ref.repository}${ref.tag !== undefined ? `:${ref.tag}` : ''}${ref.digest !== undefined ? `@${ref.digest}` : ''}`;
}
