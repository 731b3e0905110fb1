import { basename, isAbsolute, resolve } from 'node:path';
import { parseDigest } from '../../content/digest.js';
import { fetchJson } from '../../content/fetch-bytes.js';
import { LayoutStore } from '../../content/layout-store.js';
import { AirbundleError, isAirbundleError } from '../../errors.js';
import type { ResolvedArtifact, SourceContext } from '../source.js';

/** ImageEntry is the part of a spec image entry a source reads. */
export interface ImageEntry {
  source: string;
  name?: string;
  platforms?: string[];
}

/** OciLayoutRef is a parsed `oci-layout:PATH:TAG` or `oci-layout:PATH@sha256:…`. */
export interface OciLayoutRef {
  path: string;
  tag?: string;
  digest?: string;
}

/** parseOciLayoutRef splits `oci-layout:PATH[:TAG|@DIGEST]` (the tag is what follows the last `:` after the last `/`). */
export function parseOciLayoutRef(source: string): OciLayoutRef {
  const rest = source.replace(/^oci-layout:(\/\/)?/, '');
  const at = rest.lastIndexOf('@sha256:');
  if (at > 0) return { path: rest.slice(0, at), digest: rest.slice(at + 1) };
  const slash = rest.lastIndexOf('/');
  const colon = rest.lastIndexOf(':');
  if (colon > slash && colon > 0) return { path: rest.slice(0, colon), tag: rest.slice(colon + 1) };
  return { path: rest };
}

/**
 * resolveOciLayoutImage reads an image (manifest or index) from a local OCI image layout by tag or digest.
 * The layout is used in place as a read-only store; nothing is copied until the bundle is written.
 */
export async function resolveOciLayoutImage(entry: ImageEntry, ctx: SourceContext): Promise<ResolvedArtifact> {
  const ref = parseOciLayoutRef(entry.source);
  const dir = isAbsolute(ref.path) ? ref.path : resolve(ctx.specDir, ref.path);
  let store: LayoutStore;
  try {
    store = await LayoutStore.open(dir);
  } catch (err) {
    throw new AirbundleError('SOURCE_NOT_FOUND', `image ${entry.source}: ${dir} is not an OCI image layout`, {
      cause: err,
      hint: 'oci-layout: paths are relative to bundle.yaml and must hold oci-layout, index.json and blobs/',
    });
  }
  const tag = ref.tag ?? 'latest';
  let root;
  if (ref.digest !== undefined) {
    const digest = parseDigest(ref.digest, `image ${entry.source}`);
    const found = (await store.manifests()).find((d) => d.digest === digest);
    if (found === undefined) throw new AirbundleError('SOURCE_NOT_FOUND', `image ${entry.source}: ${digest} is not in ${dir}/index.json`);
    root = found;
  } else {
    try {
      root = await store.resolve(tag);
    } catch (err) {
      if (isAirbundleError(err)) {
        throw new AirbundleError('SOURCE_NOT_FOUND', `image ${entry.source}: no tag "${tag}" in ${dir}`, { cause: err, hint: err.hint });
      }
      throw err;
    }
  }
  const { annotations: _drop, ...plainRoot } = root;
  const name = entry.name ?? `${basename(dir)}:${ref.tag ?? ref.digest?.slice(7, 19) ?? 'latest'}`;
  const created = await imageCreated(store, plainRoot).catch(() => undefined);
  return {
    kind: 'image',
    name,
    ref: name,
    source: entry.source,
    root: plainRoot,
    storage: store,
    chunks: new Map(),
    provenance: {
      type: 'oci-layout',
      uri: `${dir}${ref.digest !== undefined ? `@${ref.digest}` : `:${tag}`}`,
      revision: plainRoot.digest,
      ...(created !== undefined ? { resolvedAt: created } : {}),
    },
    ...(entry.platforms !== undefined ? { platforms: entry.platforms } : {}),
  };
}

/** imageCreated reads `created` from the image config of a single-platform manifest, if it has one. */
async function imageCreated(store: LayoutStore, root: { mediaType: string; digest: string; size: number }): Promise<string | undefined> {
  const manifest = await fetchJson(store, { ...root, digest: parseDigest(root.digest) });
  const config = (manifest as { config?: { mediaType: string; digest: string; size: number } }).config;
  if (config === undefined) return undefined;
  const doc = await fetchJson(store, { ...config, digest: parseDigest(config.digest) });
  const created = (doc as { created?: unknown }).created;
  return typeof created === 'string' ? created : undefined;
}
