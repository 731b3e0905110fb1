import { createHash, type Hash } from 'node:crypto';
import { digestHex } from '../content/digest.js';
import type { MaterializePlan, PlannedFile } from './materialize-plan.js';
import type { StagingReport } from './staging-probe.js';
import { openFileSource } from './write-file.js';

/** ContentSend is one content the stream carries: the whole file, or (resuming a cut file) its bytes from `offset`. */
export interface ContentSend {
  /** The first file of the plan with this content; other files with the same digest are copies of it. */
  file: PlannedFile;
  /** Bytes already staged on the volume; 0 sends the whole file. */
  offset: number;
  /** sha256 state after the first `offset` bytes, so the stream verifies the whole content as it sends the rest. */
  prefix: Hash;
}

/** StreamPlan says what the stream transport sends for a plan, given what the volume already holds. */
export interface StreamPlan {
  /** The target already holds the plan (`.done` matches): nothing is sent. */
  complete: boolean;
  /** Contents to send, one per distinct digest, in plan order. */
  sends: ContentSend[];
  /** Files of the plan whose content is already staged whole (not sent). */
  staged: PlannedFile[];
  /** Bytes of file content the stream carries. */
  bytes: number;
}

/**
 * fullStreamPlan sends every distinct content whole: what a first fill of an empty volume needs. Pure.
 */
export function fullStreamPlan(plan: MaterializePlan): StreamPlan {
  const sends = distinctContents(plan.files).map((file) => whole(file));
  return { complete: false, sends, staged: [], bytes: sends.reduce((n, s) => n + s.file.size, 0) };
}

/**
 * planStream decides what to send from the staging probe's report: nothing when the target is complete; else each
 * distinct content that is not staged whole, either whole or, when a cut stream left a shorter file whose bytes
 * are the start of the content (checked by hashing that many bytes of it from the bundle), only the rest. A staged
 * file that matches nothing (a torn write, other bytes) is simply sent again and replaced.
 */
export async function planStream(plan: MaterializePlan, report: StagingReport, options: { signal?: AbortSignal } = {}): Promise<StreamPlan> {
  if (report.complete) return { complete: true, sends: [], staged: [], bytes: 0 };
  const staged = plan.files.filter((f) => report.staged.has(digestHex(f.digest)));
  const sends: ContentSend[] = [];
  for (const file of distinctContents(plan.files)) {
    const hex = digestHex(file.digest);
    if (report.staged.has(hex)) continue;
    const partial = report.partial.get(hex);
    if (partial !== undefined && partial.size > 0 && partial.size < file.size) {
      const prefix = await hashPrefix(plan, file, partial.size, options.signal);
      if (prefix.copy().digest('hex') === partial.sha256) {
        sends.push({ file, offset: partial.size, prefix });
        continue;
      }
    }
    sends.push(whole(file));
  }
  return { complete: false, sends, staged, bytes: sends.reduce((n, s) => n + s.file.size - s.offset, 0) };
}

function whole(file: PlannedFile): ContentSend {
  return { file, offset: 0, prefix: createHash('sha256') };
}

/** distinctContents keeps the first file of each digest, in plan order. */
function distinctContents(files: PlannedFile[]): PlannedFile[] {
  const seen = new Set<string>();
  const out: PlannedFile[] = [];
  for (const f of files) {
    if (seen.has(f.digest)) continue;
    seen.add(f.digest);
    out.push(f);
  }
  return out;
}

/** hashPrefix hashes the first `length` bytes of a file's content, read from the bundle. */
async function hashPrefix(plan: MaterializePlan, file: PlannedFile, length: number, signal?: AbortSignal): Promise<Hash> {
  const hash = createHash('sha256');
  const body = await openFileSource(plan.storage, file, 0, signal);
  let left = length;
  try {
    for await (const chunk of body) {
      const buf = chunk as Buffer;
      hash.update(left < buf.length ? buf.subarray(0, left) : buf);
      left -= Math.min(left, buf.length);
      if (left === 0) break;
    }
  } finally {
    body.destroy();
  }
  return hash;
}
