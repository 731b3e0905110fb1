/**
 * `hf://org/name[@revision]`: a Hugging Face model repository at an exact commit, packed as a ModelPack artifact
 * (one raw layer per file, path in `org.cncf.model.filepath`; an LFS file's layer digest is its `lfs.oid`).
 * Load (revision → commit, tree listing, downloads into the cache), then assemble (packModelPack): glue only.
 * Reference: peers-and-model-formats.md §6 (Hub protocol); DESIGN.md §5.
 */
import type { Digest } from '../../content/digest.js';
import { AirbundleError } from '../../errors.js';
import { matchesFilters } from '../../util/glob.js';
import { packedModel, type ModelFile } from '../modelpack.js';
import type { ResolvedArtifact, SourceContext } from '../source.js';
import { fetchHubFile } from './fetch-hub-file.js';
import { hfSettings, parseHfSource } from './hf-reference.js';
import { HubApi } from './hub-api.js';
import type { ModelEntry } from '../../schema/generated/bundle-spec.js';

/** HfModelEntry is the part of a spec model entry an `hf://` source reads. */
export type HfModelEntry = Pick<ModelEntry, 'name' | 'source' | 'tag' | 'include' | 'exclude' | 'format'>;

/** HfOptions for {@link resolveHfModel}. */
export interface HfOptions {
  /** Where `HF_ENDPOINT` and `HF_TOKEN` are read. Default process.env. */
  env?: Readonly<Record<string, string | undefined>>;
  /** Most bytes asked for in one GET. Default MAX_GET_BYTES (10 GiB) of download.ts. */
  maxGetBytes?: number;
}

/**
 * resolveHfModel resolves the revision to its commit, lists the repository's files there, keeps those the
 * include/exclude globs select, brings each into the cache (verified against the listing; nothing requested for
 * files the cache has) and packs them as a ModelPack model. Provenance records the commit; `details.repo` and
 * the revision are what a Hugging Face cache layout is rebuilt from on the other side.
 */
export async function resolveHfModel(entry: HfModelEntry, ctx: SourceContext, defaultTag: string, options: HfOptions = {}): Promise<ResolvedArtifact> {
  const { repo, revision } = parseHfSource(entry.name, entry.source);
  const { endpoint, token } = hfSettings(options.env ?? process.env);
  const api = new HubApi({ model: entry.name, endpoint, repo, token, onEvent: ctx.onEvent, ...(ctx.signal !== undefined ? { signal: ctx.signal } : {}), ...(ctx.idleTimeoutMs !== undefined ? { idleTimeoutMs: ctx.idleTimeoutMs } : {}) });

  const commit = await api.resolveRevision(revision);
  const listing = await api.listFiles(commit.sha);
  const selected = listing.filter((f) => matchesFilters(f.path, entry.include, entry.exclude));
  if (selected.length === 0) {
    const filtered = entry.include !== undefined || entry.exclude !== undefined;
    throw new AirbundleError('SOURCE_NOT_FOUND', `model "${entry.name}": ${filtered ? `none of the ${listing.length} files of ${repo}@${commit.sha} match the include/exclude globs` : `${repo}@${commit.sha} has no files`}`, {
      ...(filtered ? { hint: 'globs match paths in the repository, e.g. include: ["*.safetensors", "*.json"]' } : {}),
      details: { repo, revision: commit.sha },
    });
  }
  ctx.onEvent({ type: 'info', phase: 'resolve', message: `${entry.name}: hf://${repo}@${revision} is commit ${commit.sha}, ${selected.length} of ${listing.length} files` });

  const files: ModelFile[] = [];
  const chunks = new Map<Digest, Digest[]>();
  for (const file of selected) {
    const fetched = await fetchHubFile(
      { api, commit: commit.sha, file, item: `${entry.name}/${file.path}`, repo, model: entry.name, ...(options.maxGetBytes !== undefined ? { maxGetBytes: options.maxGetBytes } : {}) },
      ctx,
    );
    files.push({ path: file.path, digest: fetched.digest, size: fetched.size });
    if (fetched.chunks.length > 0) chunks.set(fetched.digest, fetched.chunks);
  }

  const uri = `${endpoint}/${repo}`;
  return packedModel({
    entry,
    defaultTag,
    files,
    storage: ctx.cache.blobs,
    chunks,
    revision: commit.sha,
    sourceUrl: uri,
    provenance: {
      type: 'hf',
      uri,
      revision: commit.sha,
      resolvedAt: commit.lastModified ?? ctx.now.toISOString(),
      details: { repo, requested: revision, files: String(files.length) },
    },
  });
}
