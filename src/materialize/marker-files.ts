import { createHash } from 'node:crypto';
import { posix } from 'node:path';
import { sha256Digest } from '../content/digest.js';
import { AirbundleError } from '../errors.js';
import { canonicalJson } from '../util/canonical-json.js';
import type { MaterializedArtifact, MaterializeLayout, PlannedFile } from './materialize-plan.js';

/** MATERIALIZED_FILE lists what a materialisation put in the target directory. Written second to last. */
export const MATERIALIZED_FILE = '.airbundle-materialized.json';
/** DONE_FILE is written last; its content is the digest of MATERIALIZED_FILE. */
export const DONE_FILE = '.done';
/** JOURNAL_FILE records each file verified during a run; removed once DONE_FILE is written. */
export const JOURNAL_FILE = '.airbundle-materialize.journal';
/**
 * STAGING_DIR is where the in-pod loader extracts the tar stream, each content under its sha256 hex, before moving
 * files into place; what an interrupted stream staged stays there for the next run, and it is removed on success.
 */
export const STAGING_DIR = '.airbundle-staging';
/** Media type of MATERIALIZED_FILE. */
export const MT_MATERIALIZED = 'application/vnd.airbundle.materialized.v1+json';

/** Names at the target's top level that belong to us; no model file may take them. */
const RESERVED = new Set([MATERIALIZED_FILE, DONE_FILE, JOURNAL_FILE, STAGING_DIR]);

/** MarkerInput is what the marker files describe. */
export interface MarkerInput {
  artifact: MaterializedArtifact;
  layout: MaterializeLayout;
  modelPath: string;
  modelName: string;
  files: PlannedFile[];
}

/**
 * markerFiles returns the bytes of `.airbundle-materialized.json` (canonical JSON: same plan, same bytes,
 * whichever transport writes it) and of `.done` (`sha256:<hex of the manifest>` and a newline).
 */
export function markerFiles(input: MarkerInput): { manifest: Buffer; done: Buffer } {
  const manifest = Buffer.from(
    canonicalJson({
      schemaVersion: 1,
      mediaType: MT_MATERIALIZED,
      artifact: input.artifact,
      layout: input.layout,
      modelName: input.modelName,
      modelPath: input.modelPath,
      files: input.files.map((f) => ({ path: f.path, digest: f.digest, size: f.size })),
    }),
  );
  return { manifest, done: Buffer.from(`${sha256Digest(manifest)}\n`) };
}

/**
 * checkFileSet sorts the files by path, drops exact duplicates, and throws PATH_CONFLICT when two files claim
 * the same path with different content, when a file would be the directory of another, or when a file takes
 * one of our marker names.
 */
export function checkFileSet(files: PlannedFile[]): PlannedFile[] {
  const byPath = new Map<string, PlannedFile>();
  for (const f of files) {
    if (RESERVED.has(f.path)) throw conflict(`${f.path} is a name airbundle keeps for itself in the target directory`, f.path);
    const seen = byPath.get(f.path);
    if (seen !== undefined && seen.digest !== f.digest) throw conflict(`two files of the artifact claim ${f.path} (${seen.digest} and ${f.digest})`, f.path);
    byPath.set(f.path, f);
  }
  for (const path of byPath.keys()) {
    for (let dir = posix.dirname(path); dir !== '.'; dir = posix.dirname(dir)) {
      if (byPath.has(dir)) throw conflict(`${dir} is both a file and the directory of ${path}`, dir);
    }
  }
  return [...byPath.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

function conflict(message: string, path: string): AirbundleError {
  return new AirbundleError('PATH_CONFLICT', message, { details: { path }, hint: 'the artifact cannot be laid out as files; check how it was packed' });
}

/**
 * partialNameFor is the temp name a file is written under before it is verified and renamed: a hidden
 * sibling in the same directory (so the rename is atomic), fixed per path so an interrupted write is found
 * and resumed by the next run. Long names are shortened with a hash to stay under NAME_MAX.
 */
export function partialNameFor(path: string): string {
  const dir = posix.dirname(path);
  let base = posix.basename(path);
  if (Buffer.byteLength(base) > 180) base = createHash('sha256').update(base).digest('hex').slice(0, 32);
  const name = `.${base}.airbundle-partial`;
  return dir === '.' ? name : `${dir}/${name}`;
}
