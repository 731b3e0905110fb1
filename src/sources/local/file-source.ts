import { readdir, stat } from 'node:fs/promises';
import { basename, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Digest } from '../../content/digest.js';
import { AirbundleError } from '../../errors.js';
import { matchesFilters } from '../../util/glob.js';
import { packedModel, type ModelFile } from '../modelpack.js';
import type { ResolvedArtifact, SourceContext } from '../source.js';
import { FileTreeStorage } from './file-tree-storage.js';
import { hashFile } from './hash-file.js';
import type { ModelEntry } from '../../schema/generated/bundle-spec.js';

/** FileModelEntry is the part of a spec model entry a `file://` source reads. */
export type FileModelEntry = Pick<ModelEntry, 'name' | 'source' | 'tag' | 'include' | 'exclude' | 'format'>;

/** fileSourcePath turns `file://./x`, `file:///abs/x` or `file://x` into an absolute path against `specDir`. */
export function fileSourcePath(source: string, specDir: string): string {
  if (source.startsWith('file:///')) return fileURLToPath(source);
  const rest = source.replace(/^file:\/\//, '');
  return isAbsolute(rest) ? rest : resolve(specDir, rest);
}

/**
 * resolveFileModel packs a local directory (every file, one raw layer each, filtered by include/exclude) or a
 * single file as a ModelPack artifact. Files are hashed once and remembered; they are read from where they are.
 */
export async function resolveFileModel(entry: FileModelEntry, ctx: SourceContext, defaultTag: string): Promise<ResolvedArtifact> {
  const root = fileSourcePath(entry.source, ctx.specDir);
  const st = await stat(root).catch(() => undefined);
  if (st === undefined) {
    throw new AirbundleError('SOURCE_NOT_FOUND', `model "${entry.name}": ${root} does not exist (source ${entry.source})`, {
      hint: 'file:// paths are relative to the directory of bundle.yaml',
    });
  }
  const paths = st.isDirectory() ? await listFiles(root) : [basename(root)];
  const base = st.isDirectory() ? root : resolve(root, '..');
  const selected = paths.filter((p) => matchesFilters(p, entry.include, entry.exclude));
  if (selected.length === 0) {
    throw new AirbundleError('SOURCE_NOT_FOUND', `model "${entry.name}": no files in ${root}${entry.include !== undefined ? ' match the include globs' : ''}`);
  }
  const storage = new FileTreeStorage();
  const chunks = new Map<Digest, Digest[]>();
  const files: ModelFile[] = [];
  let newest = 0;
  for (const path of selected) {
    const abs = join(base, ...path.split('/'));
    const item = `${entry.name}/${path}`;
    const total = (await stat(abs)).size;
    ctx.onEvent({ type: 'item-start', phase: 'resolve', item, total });
    let done = 0;
    const hashed = await hashFile(abs, ctx.cache, ctx.chunkSize, (n) => {
      done += n;
      ctx.onEvent({ type: 'bytes', phase: 'resolve', item, done, total });
    });
    ctx.onEvent({ type: 'item-end', phase: 'resolve', item, cached: hashed.cached });
    storage.add(hashed.digest, abs);
    if (hashed.chunks.length > 0) chunks.set(hashed.digest, hashed.chunks);
    files.push({ path, digest: hashed.digest, size: hashed.size, executable: hashed.executable });
    newest = Math.max(newest, hashed.mtimeMs);
  }
  return packedModel({
    entry,
    defaultTag,
    files,
    storage,
    chunks,
    provenance: {
      type: 'file',
      uri: root,
      resolvedAt: new Date(Math.floor(newest / 1000) * 1000).toISOString(),
      details: { files: String(files.length) },
    },
  });
}

/** listFiles lists regular files under `root` (following symlinks), `/`-separated and sorted; skips `.git`. */
async function listFiles(root: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    const entries = await readdir(dir, { withFileTypes: true });
    for (const e of entries) {
      if (e.name === '.git') continue;
      const abs = join(dir, e.name);
      const s = await stat(abs).catch(() => undefined);
      if (s === undefined) continue;
      if (s.isDirectory()) await walk(abs);
      else if (s.isFile()) out.push(relative(root, abs).split(sep).join('/'));
    }
  };
  await walk(root);
  return out.sort();
}
