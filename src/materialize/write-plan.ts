import type { BigIntStats } from 'node:fs';
import { lstat, readFile, rm, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createReadStream } from 'node:fs';
import { verifyStream } from '../content/verify-stream.js';
import { AirbundleError, errorMessage, isAirbundleError } from '../errors.js';
import { noProgress, type ProgressSink } from '../progress/events.js';
import { removeStaleTemps, writeFileAtomic } from '../util/fs-atomic.js';
import { DirGuard, syncDir } from './dir-guard.js';
import type { MaterializeLayout, MaterializePlan, PlannedFile } from './materialize-plan.js';
import { DONE_FILE, JOURNAL_FILE, MATERIALIZED_FILE, partialNameFor } from './marker-files.js';
import { fileIdentity, ProgressJournal, readJournal, sameFile, type JournalEntry } from './progress-journal.js';
import { resolveInside } from './safe-path.js';
import { abortedError, fileDescriptor, writePlannedFile } from './write-file.js';

/** WritePlanOptions for {@link writePlan}. */
export interface WritePlanOptions {
  onEvent?: ProgressSink;
  signal?: AbortSignal;
  /** Files written at once. Default 4; ≤ 0 means the default. */
  concurrency?: number;
}

/** MaterializeResult says what a run did and where the model is. */
export interface MaterializeResult {
  /** Files written by this run (0 when everything was already there). */
  written: number;
  /** Files found complete and kept. */
  skipped: number;
  /** Bytes read from the bundle and written by this run. */
  bytes: number;
  /** Every file of the layout, relative to `root`, sorted. */
  files: string[];
  /** The target directory, absolute; the marker files are at its top. */
  root: string;
  /** The directory a model server loads (the snapshot directory for hf-cache; `root` otherwise). */
  modelPath: string;
  /** How a consumer names the model: Hugging Face repo id, Ollama name, or artifact name. */
  modelName: string;
  layout: MaterializeLayout;
}

/** What the marker files at the top of the target say about this plan. */
type MarkerState = 'match' | 'stale' | 'none';

/**
 * writePlan lays a plan out under `to`. Each file lands under a partial name in its own directory, is
 * verified while it streams from the bundle, fsynced and renamed; `.airbundle-materialized.json` and `.done`
 * are written last. How a file already present is known to be good, without re-hashing everything:
 *
 * - `.done` holds this plan's digest and the manifest matches: the tree was complete and verified when the
 *   marker was written, so a file of the right size is kept as is. All present → nothing is written.
 * - no `.done` (an interrupted run): the progress journal, appended and fsynced after each file is verified,
 *   names the files already good together with their inode, size and mtime; those still matching are kept
 *   without re-hashing. Any other file of the right size (no journal, or written by someone else) is hashed
 *   once and kept if it matches. A partial file is resumed from where it stopped.
 * - `.done` from another plan (another artifact, version or layout): nothing on disk is trusted; every file of
 *   the right size is hashed again.
 *
 * `.done` is removed before anything is changed, so a marker is never seen next to a half-changed tree.
 */
export async function writePlan(plan: MaterializePlan, to: string, options: WritePlanOptions = {}): Promise<MaterializeResult> {
  const onEvent = options.onEvent ?? noProgress;
  const root = resolve(to);
  const guard = await DirGuard.open(root);
  const result: MaterializeResult = {
    written: 0,
    skipped: 0,
    bytes: 0,
    files: plan.files.map((f) => f.path),
    root,
    modelPath: join(root, plan.modelPath),
    modelName: plan.modelName,
    layout: plan.layout,
  };
  const paths = new Map(plan.files.map((f) => [f, resolveInside(root, f.path)] as const));
  const title = `Materialize ${plan.artifact.ref} (${plan.layout}) into ${root}`;

  const marker = await markerState(root, plan);
  if (marker === 'match' && (await allSized(plan.files, paths))) {
    // A run killed after writing `.done` but before removing its journal left the journal behind.
    await rm(join(root, JOURNAL_FILE), { force: true });
    onEvent({ type: 'phase-start', phase: 'materialize', title, total: 0 });
    for (const f of plan.files) onEvent({ type: 'item-end', phase: 'materialize', item: f.path, skipped: true });
    onEvent({ type: 'phase-end', phase: 'materialize', title });
    return { ...result, skipped: plan.files.length };
  }
  if (marker !== 'none') {
    await rm(join(root, DONE_FILE), { force: true });
    await syncDir(root);
  }
  const journalPath = join(root, JOURNAL_FILE);
  if (marker === 'stale') await rm(journalPath, { force: true });
  const recorded = marker === 'none' ? await readJournal(journalPath) : new Map<string, JournalEntry>();
  const journal = await ProgressJournal.open(journalPath);
  try {
    const pending = await checkPresent(plan, paths, { marker, recorded, journal, onEvent, signal: options.signal });
    const toWrite = new Set(pending);
    result.skipped = plan.files.length - pending.length;
    onEvent({ type: 'phase-start', phase: 'materialize', title, total: pending.reduce((n, f) => n + f.size, 0) });
    for (const f of plan.files) if (!toWrite.has(f)) onEvent({ type: 'item-end', phase: 'materialize', item: f.path, skipped: true });
    await forEachLimited(pending, options.concurrency, options.signal, async (file, signal) => {
      const final = paths.get(file)!;
      await guard.ensure(dirname(final), file.path).catch((err: unknown) => {
        throw isAirbundleError(err) ? err : new AirbundleError('TARGET_WRITE', `${file.path}: cannot create its directory: ${errorMessage(err)}`, { cause: err });
      });
      const sent = await writePlannedFile(plan.storage, file, final, resolveInside(root, partialNameFor(file.path)), {
        signal,
        onProgress: (done) => onEvent({ type: 'bytes', phase: 'materialize', item: file.path, done, total: file.size }),
      });
      result.bytes += sent;
      await journal.record({ path: file.path, digest: file.digest, ...fileIdentity(await stat(final, { bigint: true })) });
      result.written += 1;
      onEvent({ type: 'item-end', phase: 'materialize', item: file.path });
    });
    await guard.syncTouched();
    // A run killed while writing a marker left its temp file at the top of the target: clear it, so the tree is
    // exactly what an uninterrupted run leaves.
    for (const name of [MATERIALIZED_FILE, DONE_FILE]) await removeStaleTemps(join(root, name));
    await writeFileAtomic(join(root, MATERIALIZED_FILE), plan.manifest);
    await writeFileAtomic(join(root, DONE_FILE), plan.done);
    await syncDir(root);
  } finally {
    await journal.close();
  }
  await rm(journalPath, { force: true });
  onEvent({ type: 'phase-end', phase: 'materialize', title });
  return result;
}

/** markerState compares `.done` and the manifest on disk with the plan's. */
async function markerState(root: string, plan: MaterializePlan): Promise<MarkerState> {
  const done = await readFile(join(root, DONE_FILE)).catch(() => undefined);
  if (done === undefined) return 'none';
  const manifest = await readFile(join(root, MATERIALIZED_FILE)).catch(() => undefined);
  return done.equals(plan.done) && manifest !== undefined && manifest.equals(plan.manifest) ? 'match' : 'stale';
}

async function allSized(files: PlannedFile[], paths: Map<PlannedFile, string>): Promise<boolean> {
  for (const f of files) {
    const st = await lstat(paths.get(f)!).catch(() => undefined);
    if (st === undefined || !st.isFile() || st.size !== f.size) return false;
  }
  return true;
}

interface CheckContext {
  marker: MarkerState;
  recorded: Map<string, JournalEntry>;
  journal: ProgressJournal;
  onEvent: ProgressSink;
  signal: AbortSignal | undefined;
}

/** checkPresent returns the files that must be written, applying the trust rules of {@link writePlan}. */
async function checkPresent(plan: MaterializePlan, paths: Map<PlannedFile, string>, ctx: CheckContext): Promise<PlannedFile[]> {
  const pending: PlannedFile[] = [];
  let verifying = false;
  for (const file of plan.files) {
    if (ctx.signal?.aborted === true) throw abortedError(`materialize ${plan.artifact.ref}`);
    const final = paths.get(file)!;
    const st = await lstat(final, { bigint: true }).catch(() => undefined);
    if (st?.isDirectory() === true) {
      throw new AirbundleError('PATH_CONFLICT', `${file.path} is a directory in the target, but the model has a file there`, { details: { path: file.path }, hint: 'remove it or choose another target directory' });
    }
    if (st === undefined || !st.isFile() || Number(st.size) !== file.size) {
      pending.push(file);
      continue;
    }
    if (ctx.marker === 'match' || sameFile(ctx.recorded.get(file.path), file.digest, st)) continue;
    if (!verifying) {
      verifying = true;
      ctx.onEvent({ type: 'phase-start', phase: 'verify', title: 'Check files already in the target' });
    }
    if (await hashMatches(file, final, st, ctx)) {
      await ctx.journal.record({ path: file.path, digest: file.digest, ...fileIdentity(st) });
    } else {
      pending.push(file);
    }
  }
  if (verifying) ctx.onEvent({ type: 'phase-end', phase: 'verify', title: 'Check files already in the target' });
  return pending;
}

/** hashMatches hashes a present file and tells whether it holds the planned content. */
async function hashMatches(file: PlannedFile, path: string, st: BigIntStats, ctx: CheckContext): Promise<boolean> {
  let done = 0;
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      done += chunk.length;
      ctx.onEvent({ type: 'bytes', phase: 'verify', item: file.path, done, total: Number(st.size) });
      cb();
    },
  });
  try {
    await pipeline(createReadStream(path, { highWaterMark: 1024 * 1024 }), verifyStream(fileDescriptor(file), { name: file.path }), sink, { signal: ctx.signal });
    ctx.onEvent({ type: 'item-end', phase: 'verify', item: file.path });
    return true;
  } catch (err) {
    if (ctx.signal?.aborted === true) throw abortedError(file.path, err);
    if (isAirbundleError(err, 'DIGEST_MISMATCH') || isAirbundleError(err, 'SIZE_MISMATCH')) {
      ctx.onEvent({ type: 'warn', phase: 'verify', message: `${file.path} is in the target but does not match ${file.digest}; writing it again` });
      return false;
    }
    throw err;
  }
}

/**
 * forEachLimited runs `work` over the items, at most `limit` at once. The first failure cancels the others
 * (through the signal they get) and is the error reported; a cancellation by the caller is reported as such.
 */
async function forEachLimited<T>(items: T[], limit: number | undefined, outer: AbortSignal | undefined, work: (item: T, signal: AbortSignal) => Promise<void>): Promise<void> {
  const inner = new AbortController();
  const signal = outer === undefined ? inner.signal : AbortSignal.any([outer, inner.signal]);
  let next = 0;
  let first: unknown;
  const worker = async (): Promise<void> => {
    while (next < items.length && first === undefined) {
      const item = items[next]!;
      next += 1;
      try {
        await work(item, signal);
      } catch (err) {
        if (first === undefined) {
          first = err;
          inner.abort(err);
        }
      }
    }
  };
  const n = Math.min(limit === undefined || limit <= 0 ? 4 : limit, Math.max(items.length, 1));
  await Promise.all(Array.from({ length: n }, worker));
  if (first !== undefined) throw outer?.aborted === true ? abortedError('materialize', first) : first;
}
