import { readFile } from 'node:fs/promises';
import { isAbsolute, relative, resolve as resolvePath } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { ContentCache, defaultCacheDir } from './cache/content-cache.js';
import { AirbundleError } from './errors.js';
import type { BundleSpec } from './schema/generated/bundle-spec.js';
import type { Descriptor } from './content/descriptor.js';
import type { Digest } from './content/digest.js';
import { walkGraph } from './content/graph.js';
import { UnionStorage } from './content/memory-store.js';
import { DEFAULT_CHUNK_SIZE, TAR_MTIME } from './bundle/layout.js';
import { assembleManifest, buildIndex, encodeManifest, type Artifact, type BundleManifest } from './bundle/manifest.js';
import { writeBundle, type WrittenBundle } from './bundle/writer.js';
import { noProgress, type ProgressSink } from './progress/events.js';
import { loadBundleSpec } from './schema/spec-loader.js';
import { parseSize } from './schema/sizes.js';
import { resolveImage, resolveModel } from './sources/resolve.js';
import type { ResolvedArtifact, SourceContext } from './sources/source.js';
import { VERSION } from './version.js';

/** BuildOptions for {@link build}. */
export interface BuildOptions {
  /** Path of bundle.yaml. */
  specPath: string;
  /** Output: `x.tar`, `x.tar.zst`, or a directory. */
  out: string;
  /** Cache directory (default {@link defaultCacheDir}). */
  cacheDir?: string;
  /** Cut the archive into volumes of this many bytes. */
  volumeSize?: number;
  /** Signs bundle.json bytes, returning bundle.sig bytes. */
  sign?: (manifestBytes: Buffer) => Promise<Buffer>;
  /** zstd level for `.tar.zst` (default 3). */
  zstdLevel?: number;
  /** Environment for SOURCE_DATE_EPOCH (default process.env). */
  env?: NodeJS.ProcessEnv;
  /** How to reach registries for registry sources (TLS, plain HTTP, credentials). */
  registry?: SourceContext['registry'];
  onEvent?: ProgressSink;
  signal?: AbortSignal;
}

/** BuildResult says what was written. */
export interface BuildResult extends WrittenBundle {
  manifest: BundleManifest;
  signed: boolean;
}

/**
 * build resolves every model and image of a spec to exact digests (downloading into the cache what is not
 * there), assembles and optionally signs bundle.json, and writes the bundle. Glue only: load, assemble, write.
 */
export async function build(options: BuildOptions): Promise<BuildResult> {
  const onEvent = options.onEvent ?? noProgress;
  const { spec, dir } = await loadBundleSpec(options.specPath);
  await embedManifests(spec, dir);
  const chunkSize = spec.options?.chunkSize !== undefined ? parseSize(String(spec.options.chunkSize)) : DEFAULT_CHUNK_SIZE;
  const cache = await ContentCache.open(options.cacheDir ?? defaultCacheDir(options.env));
  const epoch = sourceDateEpoch(options.env ?? process.env);
  const ctx: SourceContext = {
    cache,
    specDir: dir,
    chunkSize,
    now: epoch ?? new Date(),
    onEvent,
    signal: options.signal,
    registry: options.registry,
    // One --timeout for every connection of the build: registries and download sources alike.
    ...(options.registry?.timeoutMs !== undefined ? { idleTimeoutMs: options.registry.timeoutMs } : {}),
  };
  const version = String(spec.metadata.version);

  onEvent({ type: 'phase-start', phase: 'resolve', title: 'Resolve sources' });
  const resolved: ResolvedArtifact[] = [];
  for (const model of spec.models ?? []) resolved.push(await resolveModel(model, ctx, version));
  for (const image of spec.images ?? []) resolved.push(await resolveImage(image, ctx));
  onEvent({ type: 'phase-end', phase: 'resolve', title: 'Resolve sources' });

  onEvent({ type: 'phase-start', phase: 'index', title: 'Index blobs' });
  const blobs: Array<{ desc: Descriptor; chunks: Digest[] }> = [];
  for (const artifact of resolved) {
    for (const desc of await walkGraph(artifact.storage, artifact.root, options.signal)) {
      const known = artifact.chunks.get(desc.digest);
      const chunks = known ?? (await cache.chunksOf(desc, chunkSize, artifact.storage));
      blobs.push({ desc, chunks });
    }
  }
  onEvent({ type: 'phase-end', phase: 'index', title: 'Index blobs' });

  const artifacts: Artifact[] = resolved.map(toArtifact);
  const manifest = assembleManifest({
    name: spec.metadata.name,
    version,
    created: (epoch ?? newestTime(artifacts) ?? TAR_MTIME).toISOString(),
    generator: `airbundle ${VERSION}`,
    chunkSize,
    spec: spec as unknown as Record<string, unknown>,
    artifacts,
    blobs,
  });
  const manifestBytes = encodeManifest(manifest);
  const signature = options.sign === undefined ? undefined : await options.sign(manifestBytes);

  const written = await writeBundle({
    out: options.out,
    volumeSize: options.volumeSize,
    zstdLevel: spec.options?.compression?.level ?? options.zstdLevel,
    manifest,
    manifestBytes,
    signature,
    index: buildIndex(artifacts),
    storage: new UnionStorage(resolved.map((r) => r.storage)),
    onEvent,
    signal: options.signal,
  });
  return { ...written, manifest, signed: signature !== undefined };
}

/**
 * embedManifests reads the Kubernetes manifests a spec ships (deploy.manifests[].path, inside the spec's
 * directory) into the spec, so they travel inside bundle.json and are covered by its signature.
 */
async function embedManifests(spec: BundleSpec, dir: string): Promise<void> {
  for (const [i, file] of (spec.deploy?.manifests ?? []).entries()) {
    const abs = resolvePath(dir, file.path);
    if (relative(dir, abs).startsWith('..') || isAbsolute(relative(dir, abs))) {
      throw new AirbundleError('PATH_ESCAPE', `deploy.manifests[${i}].path ${file.path} is outside the directory of bundle.yaml`, { hint: 'keep shipped manifests next to bundle.yaml' });
    }
    const text = await readFile(abs, 'utf8').catch(() => {
      throw new AirbundleError('SPEC_INVALID', `deploy.manifests[${i}].path: cannot read ${abs}`);
    });
    const bad = parseAllDocuments(text).find((d) => d.errors.length > 0);
    if (bad !== undefined) throw new AirbundleError('SPEC_SYNTAX', `${abs} is not valid YAML: ${bad.errors[0]!.message.split('\n')[0]}`);
    file.content = text;
  }
}

function toArtifact(r: ResolvedArtifact): Artifact {
  const artifact: Artifact = { kind: r.kind, name: r.name, ref: r.ref, source: r.source, root: r.root, provenance: r.provenance };
  if (r.platforms !== undefined) artifact.platforms = r.platforms;
  return artifact;
}

/** sourceDateEpoch reads SOURCE_DATE_EPOCH (https://reproducible-builds.org/specs/source-date-epoch/). */
function sourceDateEpoch(env: NodeJS.ProcessEnv): Date | undefined {
  const raw = env.SOURCE_DATE_EPOCH;
  if (raw === undefined || !/^\d+$/.test(raw)) return undefined;
  return new Date(Number(raw) * 1000);
}

function newestTime(artifacts: Artifact[]): Date | undefined {
  const times = artifacts.map((a) => Date.parse(a.provenance.resolvedAt ?? '')).filter((t) => Number.isFinite(t));
  return times.length === 0 ? undefined : new Date(Math.max(...times));
}
