import type { BigIntStats } from 'node:fs';
import { open, readFile, type FileHandle } from 'node:fs/promises';
import { isDigest, type Digest } from '../content/digest.js';

/**
 * JournalEntry says: the file at `path` was verified to hold `digest` when its inode, size and mtime were
 * these. A later run trusts the file only while all of them still match (the same test git's index and
 * modctl's xattr cache use to avoid re-hashing), so a file replaced or rewritten since is hashed again.
 */
export interface JournalEntry {
  path: string;
  digest: Digest;
  size: number;
  /** Inode number and mtime in nanoseconds, as decimal strings (bigint stat: exact on every filesystem). */
  ino: string;
  mtimeNs: string;
}

/** fileIdentity returns the fields of a journal entry that come from stat. */
export function fileIdentity(st: BigIntStats): Pick<JournalEntry, 'size' | 'ino' | 'mtimeNs'> {
  return { size: Number(st.size), ino: st.ino.toString(), mtimeNs: st.mtimeNs.toString() };
}

/** sameFile tells whether a journal entry still describes the file `st` with the expected digest. */
export function sameFile(entry: JournalEntry | undefined, digest: Digest, st: BigIntStats): boolean {
  if (entry === undefined || entry.digest !== digest) return false;
  const id = fileIdentity(st);
  return entry.size === id.size && entry.ino === id.ino && entry.mtimeNs === id.mtimeNs;
}

/**
 * readJournal reads the entries of a journal; the last entry per path wins. A line that does not parse (the
 * tail of a write cut by a crash) is ignored: its file is simply hashed again.
 */
export async function readJournal(file: string): Promise<Map<string, JournalEntry>> {
  const out = new Map<string, JournalEntry>();
  const text = await readFile(file, 'utf8').catch(() => '');
  for (const line of text.split('\n')) {
    if (line === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      continue;
    }
    if (isEntry(value)) out.set(value.path, value);
  }
  return out;
}

/**
 * ProgressJournal appends one JSON line per verified file and fsyncs it before the next file is reported
 * done. Appends of one short line are a single write(2) on an O_APPEND descriptor, so concurrent writers do
 * not interleave inside a line, and a crash leaves at most one torn last line, which readJournal skips.
 */
export class ProgressJournal {
  readonly #fh: FileHandle;

  private constructor(fh: FileHandle) {
    this.#fh = fh;
  }

  /** open opens (creating) the journal for appending, ending a torn last line first so it stays alone. */
  static async open(file: string): Promise<ProgressJournal> {
    const fh = await open(file, 'a+', 0o644);
    const { size } = await fh.stat();
    if (size > 0) {
      const last = Buffer.alloc(1);
      await fh.read(last, 0, 1, size - 1);
      if (last[0] !== 0x0a) await fh.write('\n');
    }
    return new ProgressJournal(fh);
  }

  /** record appends an entry and makes it durable. */
  async record(entry: JournalEntry): Promise<void> {
    await this.#fh.write(`${JSON.stringify(entry)}\n`);
    await this.#fh.sync();
  }

  async close(): Promise<void> {
    await this.#fh.close();
  }
}

function isEntry(value: unknown): value is JournalEntry {
  if (value === null || typeof value !== 'object') return false;
  const v = value as Record<string, unknown>;
  return typeof v.path === 'string' && isDigest(v.digest) && typeof v.size === 'number' && typeof v.ino === 'string' && typeof v.mtimeNs === 'string';
}
