/**
 * Tools to craft hostile and broken bundles byte by byte: a raw ustar encoder (any name, type, link target, and a
 * header size that may lie about the body), a bundle held as its tar members (to edit bundle.json, index.json and
 * blobs consistently), writers for the physical forms, and snapshots to prove a failed run changed nothing.
 */
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { expect } from 'vitest';
import { openFileReader } from '../../src/archive/file-reader.js';
import { createSeekableZstdWriter } from '../../src/archive/seekable-zstd-writer.js';
import { walkTar } from '../../src/archive/tar-walker.js';
import { build } from '../../src/build.js';
import type { BundleManifest } from '../../src/bundle/manifest.js';
import { canonicalJson } from '../../src/util/canonical-json.js';
import { runCli, type CliResult } from '../support/cli.js';
import { writeFixtureSpec } from '../support/fixture-bundle.js';

const BLOCK = 512;

/** TarMember is one entry to encode. `headerSize` overrides the size written in the header (a lie). */
export interface TarMember {
  name: string;
  body: Buffer;
  /** Type flag: '0' file (default), '1' hard link, '2' symlink, '5' directory. */
  type?: string;
  linkName?: string;
  headerSize?: number;
}

/** encodeTar writes members as ustar, bodies padded to 512 bytes, then the two zero blocks. */
export function encodeTar(members: TarMember[], options: { end?: boolean } = {}): Buffer {
  const parts: Buffer[] = [];
  for (const m of members) {
    parts.push(header(m), m.body, Buffer.alloc((BLOCK - (m.body.length % BLOCK)) % BLOCK));
  }
  if (options.end !== false) parts.push(Buffer.alloc(2 * BLOCK));
  return Buffer.concat(parts);
}

function header(m: TarMember): Buffer {
  const h = Buffer.alloc(BLOCK);
  const put = (text: string, at: number, len: number): void => {
    Buffer.from(text, 'utf8').copy(h, at, 0, len);
  };
  const octal = (n: number, at: number, len: number): void => put(`${n.toString(8).padStart(len - 1, '0')}\0`, at, len);
  let name = m.name;
  let prefix = '';
  if (Buffer.byteLength(name) > 100) {
    const cut = name.lastIndexOf('/', 155);
    prefix = name.slice(0, cut);
    name = name.slice(cut + 1);
  }
  put(name, 0, 100);
  octal(0o644, 100, 8);
  octal(0, 108, 8);
  octal(0, 116, 8);
  octal(m.headerSize ?? (m.type === undefined || m.type === '0' ? m.body.length : 0), 124, 12);
  octal(946684800, 136, 12);
  h.write('        ', 148, 'latin1');
  h.write(m.type ?? '0', 156, 'latin1');
  put(m.linkName ?? '', 157, 100);
  h.write('ustar\0', 257, 'latin1');
  h.write('00', 263, 'latin1');
  put(prefix, 345, 155);
  let sum = 0;
  for (const b of h) sum += b;
  put(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 8);
  return h;
}

/** FixtureBundle is a small real bundle (a 1.5 MiB model in 1 MiB chunks, plus the demo image) as tar members. */
export interface FixtureBundle {
  members: TarMember[];
  /** The spec directory (for further builds). */
  dir: string;
  spec: string;
  /** The model "big" as files, as `materialize --layout plain` lays it out. */
  modelFiles: Map<string, Buffer>;
}

/** buildFixture builds the fixture spec into `dir/fixture.tar` with the library and reads its members. */
export async function buildFixture(dir: string): Promise<FixtureBundle> {
  const fx = await writeFixtureSpec(join(dir, 'spec'), { bigSize: 1536 * 1024 + 77 });
  const out = join(dir, 'fixture.tar');
  await build({ specPath: fx.spec, out, cacheDir: join(dir, 'cache'), env: { SOURCE_DATE_EPOCH: '946684800' } });
  const modelFiles = new Map([
    ['model.safetensors', fx.bigFile],
    ['config.json', await readFile(join(fx.dir, 'models', 'big', 'config.json'))],
  ]);
  return { members: await readTarMembers(out), dir: fx.dir, spec: fx.spec, modelFiles };
}

/** readTarMembers reads every regular file of a tar we wrote, in order. */
export async function readTarMembers(path: string): Promise<TarMember[]> {
  const reader = await openFileReader(path);
  try {
    const out: TarMember[] = [];
    for await (const e of walkTar(reader)) out.push({ name: e.name, body: await reader.read(e.dataOffset, e.size) });
    return out;
  } finally {
    await reader.close();
  }
}

/** sha256Hex of bytes. */
export function sha256Hex(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/** EditableBundle is a bundle as tar members, with helpers to change it consistently. */
export class EditableBundle {
  members: TarMember[];

  constructor(members: TarMember[]) {
    this.members = members.map((m) => ({ ...m }));
  }

  get(name: string): TarMember {
    const m = this.members.find((x) => x.name === name);
    if (m === undefined) throw new Error(`no member ${name}`);
    return m;
  }

  /** manifest is bundle.json, parsed. */
  get manifest(): BundleManifest {
    return JSON.parse(this.get('bundle.json').body.toString('utf8')) as BundleManifest;
  }

  /** setManifest writes bundle.json back (canonical JSON) and drops bundle.sig, which no longer covers it. */
  setManifest(m: BundleManifest): void {
    this.get('bundle.json').body = Buffer.from(canonicalJson(m));
    this.members = this.members.filter((x) => x.name !== 'bundle.sig');
  }

  /** blobOf returns the body of a blob by digest. */
  blobOf(digest: string): Buffer {
    return this.get(`blobs/sha256/${digest.slice('sha256:'.length)}`).body;
  }

  /** putBlob adds a blob entry (after the existing ones) and returns its digest. */
  putBlob(body: Buffer): string {
    const hex = sha256Hex(body);
    if (!this.members.some((m) => m.name === `blobs/sha256/${hex}`)) this.members.push({ name: `blobs/sha256/${hex}`, body });
    return `sha256:${hex}`;
  }

  /** dropBlob removes a blob entry. */
  dropBlob(digest: string): void {
    this.members = this.members.filter((m) => m.name !== `blobs/sha256/${digest.slice('sha256:'.length)}`);
  }

  /** artifact returns the artifact of that kind. */
  artifact(kind: 'model' | 'image'): BundleManifest['artifacts'][number] {
    const a = this.manifest.artifacts.find((x) => x.kind === kind);
    if (a === undefined) throw new Error(`no ${kind} artifact`);
    return a;
  }

  /**
   * replaceRoot swaps the root manifest of an artifact for `bytes`: the new blob is added, bundle.json (blob
   * table, artifact root) and index.json follow, so the bundle stays consistent apart from what `bytes` says.
   */
  replaceRoot(kind: 'model' | 'image', bytes: Buffer): string {
    const digest = this.putBlob(bytes);
    const m = this.manifest;
    const a = m.artifacts.find((x) => x.kind === kind)!;
    const old = a.root.digest;
    const oldEntry = m.blobs.find((b) => b.digest === old)!;
    a.root = { ...a.root, digest, size: bytes.length };
    m.blobs = m.blobs.filter((b) => b.digest !== old);
    m.blobs.push({ digest, size: bytes.length, mediaType: oldEntry.mediaType });
    m.blobs.sort((x, y) => (x.digest < y.digest ? -1 : 1));
    this.setManifest(m);
    this.dropBlob(old);
    const index = JSON.parse(this.get('index.json').body.toString('utf8')) as { manifests: Array<{ digest: string; size: number }> };
    for (const d of index.manifests) {
      if (d.digest === old) {
        d.digest = digest;
        d.size = bytes.length;
      }
    }
    this.get('index.json').body = Buffer.from(canonicalJson(index));
    return digest;
  }

  tar(): Buffer {
    return encodeTar(this.members);
  }

  /** writeTar writes the bundle as a plain tar. */
  async writeTar(path: string): Promise<string> {
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, this.tar());
    return path;
  }

  /** writeDir writes the bundle as a directory (regular files only). */
  async writeDir(dir: string): Promise<string> {
    for (const m of this.members) {
      await mkdir(dirname(join(dir, m.name)), { recursive: true });
      await writeFile(join(dir, m.name), m.body);
    }
    return dir;
  }

  /** writeTarZst writes the bundle as a seekable .tar.zst with our writer. */
  async writeTarZst(path: string): Promise<string> {
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, await seekableZstd(this.tar()));
    return path;
  }
}

/** dataOffsets returns where each member's body starts in {@link encodeTar}'s output. */
export function dataOffsets(members: TarMember[]): number[] {
  let pos = 0;
  return members.map((m) => {
    const at = pos + BLOCK;
    pos = at + Math.ceil(m.body.length / BLOCK) * BLOCK;
    return at;
  });
}

/**
 * rleBomb is a valid zstd frame of RLE blocks that expands to `bytes` zero bytes (a multiple of 128 KiB) from 4
 * bytes per 128 KiB, with no content size in its header: nothing says how big it is until it is decompressed.
 * Reference: RFC 8878 §3.1.1 (frame header, Window_Descriptor; block header, RLE_Block).
 */
export function rleBomb(bytes: number): Buffer {
  const BLOCK_MAX = 128 * 1024;
  const blocks = Math.ceil(bytes / BLOCK_MAX);
  const out = Buffer.alloc(6 + blocks * 4);
  out.writeUInt32LE(0xfd2fb528, 0);
  out[4] = 0x00; // no content size, not single-segment, no checksum, no dictionary
  out[5] = 7 << 3; // window 2^(10+7) = 128 KiB
  for (let i = 0; i < blocks; i++) {
    const header = (BLOCK_MAX << 3) | (1 << 1) | (i === blocks - 1 ? 1 : 0);
    out.writeUIntLE(header, 6 + i * 4, 3);
    out[6 + i * 4 + 3] = 0;
  }
  return out;
}

/** seekableZstd compresses bytes with our seekable writer. */
export async function seekableZstd(data: Buffer, frameSize = 256 * 1024): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const p of Readable.from([data]).pipe(createSeekableZstdWriter({ frameSize }))) parts.push(p as Buffer);
  return Buffer.concat(parts);
}

/** snapshot lists every path under `dir` (recursively, sorted), or undefined when it does not exist. */
export async function snapshot(dir: string): Promise<string[] | undefined> {
  const names = await readdir(dir, { recursive: true }).catch(() => undefined);
  return names?.map(String).sort();
}

/** Fail is what a refused run must look like: the exit status, the error code, and words the message must name. */
export interface Fail {
  exit: number;
  code: string;
  names?: RegExp;
}

/**
 * expectRefused checks a CLI run failed as `fail` says: `error [CODE]: …` on stderr naming what `names` matches,
 * the exit status, and no `internal error`. `what` labels the run in failure messages.
 */
export function expectRefused(r: CliResult, fail: Fail, what = ''): void {
  const said = `${what} exit ${r.code}\nstdout: ${r.stdout.slice(0, 2000)}\nstderr: ${r.stderr.slice(0, 2000)}`;
  expect(r.stderr, said).not.toMatch(/internal error/);
  expect(r.stderr, said).toMatch(new RegExp(`error \\[${fail.code}\\]: `));
  if (fail.names !== undefined) expect(r.stderr, said).toMatch(fail.names);
  expect(r.code, said).toBe(fail.exit);
}

/** registryTags lists `repository → tags` of every repository of a registry (plain HTTP, no auth). */
export async function registryTags(host: string): Promise<Map<string, string[]>> {
  const catalog = (await (await fetch(`http://${host}/v2/_catalog`)).json()) as { repositories?: string[] };
  const out = new Map<string, string[]>();
  for (const repo of catalog.repositories ?? []) {
    const res = await fetch(`http://${host}/v2/${repo}/tags/list`);
    const tags = res.ok ? (((await res.json()) as { tags?: string[] | null }).tags ?? []) : [];
    out.set(repo, tags);
  }
  return out;
}

/** readAllFiles reads every regular file under `dir` (recursively) into one buffer, to grep for secrets. */
export async function readAllFiles(dir: string): Promise<Buffer> {
  const parts: Buffer[] = [];
  for (const name of (await snapshot(dir)) ?? []) {
    const data = await readFile(join(dir, name)).catch(() => undefined);
    if (data !== undefined) parts.push(data);
  }
  return Buffer.concat(parts);
}

/** Where the commands of {@link expectRefusedEverywhere} write, and the model to materialize. */
export interface Targets {
  /** A scratch directory; each call makes fresh target names under it. */
  work: string;
  /** A plain-HTTP registry with no tags in it. */
  registry: string;
  model?: string;
  /**
   * The model's files as `materialize --layout plain` writes them. When given, damage found only while bytes
   * stream (after other blobs were already copied) is allowed to leave verified content under final names
   * (that is what a re-run resumes from) but nothing unverified, no index entry, no marker and no tag.
   */
  modelFiles?: Map<string, Buffer>;
}

let calls = 0;

/**
 * expectRefusedEverywhere runs every command that reads a bundle against `bundle` and checks each one refuses it
 * as `fail` says, leaving nothing behind: `verify` (a refusal, or an INVALID report whose problems carry the code,
 * with and without --json), `inspect`, `export` (its target directory is not even created), `materialize` (same),
 * and `push` (the registry gets no tag).
 */
export async function expectRefusedEverywhere(bundle: string, fail: Fail, t: Targets, commands = ['verify', 'inspect', 'export', 'materialize', 'push']): Promise<void> {
  calls += 1;
  const exportDir = join(t.work, `export-${calls}`);
  const matDir = join(t.work, `materialize-${calls}`);
  const argv: Record<string, string[]> = {
    verify: ['verify', bundle],
    inspect: ['inspect', bundle],
    export: ['export', bundle, '--oci-layout', exportDir],
    materialize: ['materialize', bundle, '--model', t.model ?? 'big', '--layout', 'plain', '--to', matDir],
    push: ['push', bundle, '--registry', t.registry, '--plain-http'],
  };
  // verify both ways; the others once each, half of them with --json (the error must then be JSON on stdout too).
  const jsonToo = new Set(['verify']);
  const withJson = new Set(['export', 'push']);
  const runs = await Promise.all(
    commands.flatMap((c) => {
      const variants = jsonToo.has(c) ? [false, true] : [withJson.has(c)];
      return variants.map(async (json) => ({ command: c, json, r: await runCli(json ? [...argv[c]!, '--json'] : argv[c]!) }));
    }),
  );
  for (const { command, json, r } of runs) {
    const said = `${command}${json ? ' --json' : ''}: exit ${r.code}\nstdout: ${r.stdout.slice(0, 3000)}\nstderr: ${r.stderr.slice(0, 3000)}`;
    if (command === 'verify' && r.code === 1 && !/error \[/.test(r.stderr)) {
      // Content problems are a report, not a crash: `CODE: message` lines (or problems[].code in JSON).
      expect(r.stdout, said).toMatch(json ? new RegExp(`"code": "${fail.code}"`) : new RegExp(`^  ${fail.code}: `, 'm'));
      if (fail.names !== undefined) expect(r.stdout, said).toMatch(fail.names);
      if (json) expect((JSON.parse(r.stdout) as { valid: boolean }).valid, said).toBe(false);
      continue;
    }
    expectRefused(r, fail, command);
    if (json) expect((JSON.parse(r.stdout) as { error: { code: string } }).error.code, said).toBe(fail.code);
  }
  if (t.modelFiles === undefined) {
    expect(await snapshot(exportDir), 'export created its target').toBeUndefined();
    expect(await snapshot(matDir), 'materialize created its target').toBeUndefined();
  } else {
    await expectOnlyVerified(exportDir, matDir, t.modelFiles);
  }
  const tagged = [...(await registryTags(t.registry))].filter(([, tags]) => tags.length > 0);
  expect(tagged, 'push left a tag').toEqual([]);
}

/**
 * expectOnlyVerified checks what a run that failed mid-stream left: in the OCI layout, no index.json entry, no
 * ingest leftovers, and only blobs whose bytes match their names; in the materialize target, no marker files and
 * only complete, correct files under final names (partial files keep their hidden temp names).
 */
async function expectOnlyVerified(exportDir: string, matDir: string, modelFiles: Map<string, Buffer>): Promise<void> {
  for (const name of (await snapshot(exportDir)) ?? []) {
    const path = join(exportDir, name);
    if (name === 'index.json') {
      expect((JSON.parse(await readFile(path, 'utf8')) as { manifests: unknown[] }).manifests, 'export tagged something').toEqual([]);
    } else if (name.startsWith('blobs/sha256/') && name.length > 'blobs/sha256/'.length) {
      expect(sha256Hex(await readFile(path)), `export left unverified bytes in ${name}`).toBe(name.slice('blobs/sha256/'.length));
    } else {
      expect(['oci-layout', 'blobs', 'blobs/sha256', 'ingest'], `export left ${name}`).toContain(name);
    }
  }
  for (const name of (await snapshot(matDir)) ?? []) {
    const base = name.split('/').pop() ?? name;
    if (base.startsWith('.')) {
      expect(base, 'materialize wrote a marker').not.toMatch(/^\.(done|airbundle-materialized\.json)$/);
      continue;
    }
    const want = modelFiles.get(name);
    expect(want, `materialize left ${name}`).toBeDefined();
    expect((await readFile(join(matDir, name))).equals(want!), `materialize left unverified bytes in ${name}`).toBe(true);
  }
}
