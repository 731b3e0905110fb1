import { createHash } from 'node:crypto';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ChunkHasher } from '../../src/cache/chunk-hasher.js';
import { ContentCache } from '../../src/cache/content-cache.js';
import type { Descriptor } from '../../src/content/descriptor.js';
import { fetchJson } from '../../src/content/fetch-bytes.js';
import type { ProgressEvent } from '../../src/progress/events.js';
import { nextLink } from '../../src/sources/hf/hub-api.js';
import { resolveHfModel, type HfModelEntry } from '../../src/sources/hf/hf-source.js';
import { parseHfSource } from '../../src/sources/hf/hf-reference.js';
import type { ResolvedArtifact, SourceContext } from '../../src/sources/source.js';
import { startHfEmulator, type HfEmulator, type HfEmulatorOptions } from '../support/hf-emulator.js';
import { expectCode } from '../support/matchers.js';
import { useTempDirs } from '../support/temp-dir.js';
import { pseudoRandom } from '../support/pseudo-random.js';

const KiB = 1024;
const MiB = 1024 * KiB;
const NOW = new Date('2024-05-01T12:00:00Z');
const tempDir = useTempDirs();
const emulators: HfEmulator[] = [];

afterEach(async () => {
  await Promise.all(emulators.splice(0).map((e) => e.close()));
});

const fixture = pseudoRandom;

const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

/** A small model repo: two LFS shards (one over the 1 MiB chunk size), configs, a nested tokenizer, a README. */
function tinyModel(seed = 1): Record<string, Buffer> {
  return {
    'config.json': Buffer.from(JSON.stringify({ architectures: ['LlamaForCausalLM'], seed })),
    'README.md': Buffer.from(`# tiny ${seed}\n`),
    'model-00001-of-00002.safetensors': fixture(2.5 * MiB + 17, seed),
    'model-00002-of-00002.safetensors': fixture(300 * KiB + 5, seed + 100),
    'tokenizer/tokenizer.json': Buffer.from('{"model":{"type":"BPE"}}'),
    'original/consolidated.pth': fixture(40 * KiB, seed + 200),
  };
}

interface Harness {
  hub: HfEmulator;
  cacheDir: string;
  events: ProgressEvent[];
  context(signal?: AbortSignal, onEvent?: (e: ProgressEvent) => void): Promise<SourceContext>;
  resolve(entry: Partial<HfModelEntry> & { source: string }, opts?: { token?: string; maxGetBytes?: number; ctx?: SourceContext }): Promise<ResolvedArtifact>;
}

async function harness(options: HfEmulatorOptions = {}): Promise<Harness> {
  const hub = await startHfEmulator(options);
  emulators.push(hub);
  const dir = await tempDir();
  const cacheDir = join(dir, 'cache');
  const events: ProgressEvent[] = [];
  const context = async (signal?: AbortSignal, onEvent?: (e: ProgressEvent) => void): Promise<SourceContext> => ({
    cache: await ContentCache.open(cacheDir),
    specDir: dir,
    chunkSize: MiB,
    now: NOW,
    onEvent: (e) => {
      events.push(e);
      onEvent?.(e);
    },
    ...(signal !== undefined ? { signal } : {}),
  });
  return {
    hub,
    cacheDir,
    events,
    context,
    resolve: async (entry, opts = {}) =>
      resolveHfModel({ name: 'tiny', ...entry }, opts.ctx ?? (await context()), '1.0.0', {
        env: { HF_ENDPOINT: hub.url, ...(opts.token !== undefined ? { HF_TOKEN: opts.token } : {}) },
        ...(opts.maxGetBytes !== undefined ? { maxGetBytes: opts.maxGetBytes } : {}),
      }),
  };
}

interface Layer extends Descriptor {
  annotations: Record<string, string>;
}

/** layersOf reads the manifest and checks that every layer's bytes are served and hash to its digest. */
async function layersOf(art: ResolvedArtifact): Promise<Map<string, Layer>> {
  const manifest = (await fetchJson(art.storage, art.root)) as { layers: Layer[] };
  const out = new Map<string, Layer>();
  for (const layer of manifest.layers) {
    const hash = createHash('sha256');
    for await (const chunk of await art.storage.fetch(layer)) hash.update(chunk as Buffer);
    expect(`sha256:${hash.digest('hex')}`).toBe(layer.digest);
    out.set(layer.annotations['org.cncf.model.filepath'] ?? '', layer);
  }
  return out;
}

/** leftovers lists what is in the cache's partial directory (empty after a clean finish). */
async function leftovers(cacheDir: string): Promise<string[]> {
  return readdir(join(cacheDir, 'partial')).catch(() => []);
}

const cdnGets = (hub: HfEmulator): HfEmulator['requests'] => hub.requests.filter((r) => r.server === 'cdn' && r.method === 'GET');

describe('resolveHfModel', () => {
  describe('when the repository is public', () => {
    it('resolves main to its commit, pages through the tree, and packs every file verified, with exact provenance', async () => {
      const h = await harness({ tokens: ['hf_reader'] });
      const files = tinyModel();
      const commit = h.hub.addCommit('org/tiny', { files });
      const art = await h.resolve({ source: 'hf://org/tiny' }, { token: 'hf_reader' });

      expect(art).toMatchObject({ kind: 'model', name: 'tiny', ref: 'models/tiny:1.0.0', source: 'hf://org/tiny' });
      expect(art.provenance).toEqual({
        type: 'hf',
        uri: `${h.hub.url}/org/tiny`,
        revision: commit.sha,
        resolvedAt: commit.date.toISOString(),
        details: { repo: 'org/tiny', requested: 'main', files: '6' },
      });
      const layers = await layersOf(art);
      expect([...layers.keys()].sort()).toEqual(Object.keys(files).sort());
      for (const f of commit.files) {
        expect(layers.get(f.path)?.digest).toBe(`sha256:${f.sha256}`);
        expect(layers.get(f.path)?.size).toBe(f.size);
      }
      expect(layers.get('model-00001-of-00002.safetensors')?.mediaType).toBe('application/vnd.cncf.model.weight.v1.raw');
      const config = (await fetchJson(art.storage, ((await fetchJson(art.storage, art.root)) as { config: Descriptor }).config)) as { descriptor: Record<string, unknown> };
      expect(config.descriptor).toMatchObject({ revision: commit.sha, sourceURL: `${h.hub.url}/org/tiny` });

      // The tree listing was paged (2 entries a page), following Link: rel="next".
      const treeCalls = h.hub.requests.filter((r) => r.path.startsWith('/api/models/org/tiny/tree/'));
      expect(treeCalls.length).toBeGreaterThan(3);
      expect(treeCalls.every((r) => r.path === `/api/models/org/tiny/tree/${commit.sha}`)).toBe(true);
      // LFS files came from the CDN (another origin) without the token; the Hub got it.
      const lfs = commit.files.filter((f) => f.lfs).map((f) => h.hub.cdnPath(files[f.path]!));
      expect(cdnGets(h.hub).map((r) => r.path).sort()).toEqual(lfs.sort());
      expect(h.hub.requests.filter((r) => r.server === 'cdn').every((r) => r.authorization === undefined && r.status === 200)).toBe(true);
      expect(h.hub.requests.filter((r) => r.server === 'hub').every((r) => r.authorization === 'Bearer hf_reader')).toBe(true);
      // Chunk digests for the one blob over 1 MiB.
      const big = files['model-00001-of-00002.safetensors']!;
      const hasher = new ChunkHasher(MiB);
      hasher.update(big);
      expect(art.chunks.get(`sha256:${sha256(big)}` as never)).toEqual(hasher.digest().chunks);
      expect(art.chunks.size).toBe(1);
      expect(await leftovers(h.cacheDir)).toEqual([]);

      const item = 'tiny/model-00001-of-00002.safetensors';
      const mine = h.events.filter((e) => 'item' in e && e.item === item);
      expect(mine[0]).toEqual({ type: 'item-start', phase: 'resolve', item, total: big.length });
      expect(mine.at(-2)).toEqual({ type: 'bytes', phase: 'resolve', item, done: big.length, total: big.length });
      expect(mine.at(-1)).toEqual({ type: 'item-end', phase: 'resolve', item, cached: false });
    });

    it('downloads nothing the second time: LFS files by digest, small files by their git id', async () => {
      const h = await harness();
      h.hub.addCommit('org/tiny', { files: tinyModel() });
      const first = await h.resolve({ source: 'hf://org/tiny' });
      const before = h.hub.requests.length;
      h.events.length = 0;
      const second = await h.resolve({ source: 'hf://org/tiny' });
      expect(second.root).toEqual(first.root);
      const again = h.hub.requests.slice(before);
      expect(again.filter((r) => r.server === 'cdn' || r.path.includes('/resolve/'))).toEqual([]);
      expect(h.events.filter((e) => e.type === 'item-end').every((e) => e.type === 'item-end' && e.cached === true)).toBe(true);
      expect(second.chunks).toEqual(first.chunks);
    });

    it('handles empty files and files with the same content under two paths', async () => {
      const h = await harness();
      const weights = fixture(200 * KiB, 7);
      const commit = h.hub.addCommit('org/tiny', { files: { '__init__.py': Buffer.alloc(0), 'a/model.safetensors': weights, 'b/model.safetensors': weights } });
      const layers = await layersOf(await h.resolve({ source: 'hf://org/tiny' }));
      expect(layers.get('__init__.py')).toMatchObject({ size: 0, digest: `sha256:${sha256(Buffer.alloc(0))}` });
      expect(layers.get('a/model.safetensors')?.digest).toBe(`sha256:${commit.files[1]?.sha256}`);
      expect(layers.get('b/model.safetensors')?.digest).toBe(layers.get('a/model.safetensors')?.digest);
      expect(cdnGets(h.hub)).toHaveLength(1);
    });

    it('applies include and exclude globs to repository paths', async () => {
      const h = await harness();
      h.hub.addCommit('org/tiny', { files: tinyModel() });
      const art = await h.resolve({ source: 'hf://org/tiny', include: ['*.safetensors', '*.json'], exclude: ['tokenizer/**'] });
      const layers = await layersOf(art);
      expect([...layers.keys()].sort()).toEqual(['config.json', 'model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors']);
      expect(art.provenance.details?.files).toBe('3');
      expect(h.hub.requests.some((r) => r.path.endsWith('consolidated.pth'))).toBe(false);
      const none = await expectCode(h.resolve({ source: 'hf://org/tiny', include: ['*.gguf'] }), 'SOURCE_NOT_FOUND');
      expect(none.message).toContain('match the include/exclude globs');
    });

    it('pins a revision: an older commit by id, or a tag, with the revision recorded as written', async () => {
      const h = await harness();
      const old = h.hub.addCommit('org/tiny', { files: tinyModel(1), tags: ['v1.0'] });
      const latest = h.hub.addCommit('org/tiny', { files: tinyModel(2) });
      const pinned = await h.resolve({ source: `hf://org/tiny@${old.sha}` });
      expect(pinned.provenance).toMatchObject({ revision: old.sha, resolvedAt: old.date.toISOString(), details: { requested: old.sha } });
      const layers = await layersOf(pinned);
      expect(layers.get('config.json')?.digest).toBe(`sha256:${old.files.find((f) => f.path === 'config.json')?.sha256}`);
      expect(h.hub.requests.filter((r) => r.path.includes('/resolve/')).every((r) => r.path.includes(`/resolve/${old.sha}/`))).toBe(true);

      const tagged = await h.resolve({ source: 'hf://org/tiny@v1.0' });
      expect(tagged.provenance).toMatchObject({ revision: old.sha, details: { requested: 'v1.0' } });
      const main = await h.resolve({ source: 'hf://org/tiny@main' });
      expect(main.provenance.revision).toBe(latest.sha);
      const pr = h.hub.addCommit('org/tiny', { files: tinyModel(3), branch: 'refs/pr/1' });
      const fromPr = await h.resolve({ source: 'hf://org/tiny@refs/pr/1', include: ['*.json'] });
      expect(fromPr.provenance).toMatchObject({ revision: pr.sha, details: { requested: 'refs/pr/1' } });
    });
  });

  describe('when the server misbehaves', () => {
    it('rejects an LFS file with a corrupted byte (DIGEST_MISMATCH naming repo, file, expected, actual) and keeps nothing', async () => {
      const h = await harness();
      const files = tinyModel();
      const commit = h.hub.addCommit('org/tiny', { files });
      const shard = files['model-00001-of-00002.safetensors']!;
      h.hub.corrupt(shard);
      const err = await expectCode(h.resolve({ source: 'hf://org/tiny' }), 'DIGEST_MISMATCH');
      expect(err.message).toContain('org/tiny');
      expect(err.message).toContain('model-00001-of-00002.safetensors');
      expect(err.details).toMatchObject({ repo: 'org/tiny', file: 'model-00001-of-00002.safetensors', commit: commit.sha, expected: `sha256:${sha256(shard)}` });
      expect(err.details?.actual).toMatch(/^sha256:[a-f0-9]{64}$/);
      expect(err.details?.actual).not.toBe(err.details?.expected);
      const cache = await ContentCache.open(h.cacheDir);
      expect(await cache.blobs.exists({ mediaType: 'x', digest: err.details?.actual as never, size: shard.length })).toBe(false);
      expect(await leftovers(h.cacheDir)).toEqual([]);

      h.hub.heal(shard);
      await layersOf(await h.resolve({ source: 'hf://org/tiny' }));
    });

    it('rejects a small file whose git blob id does not match the listing', async () => {
      const h = await harness();
      const files = tinyModel();
      h.hub.addCommit('org/tiny', { files });
      h.hub.corrupt(files['config.json']!, 3);
      const err = await expectCode(h.resolve({ source: 'hf://org/tiny', include: ['config.json'] }), 'DIGEST_MISMATCH');
      expect(err.message).toContain('config.json');
      expect(err.details).toMatchObject({ algorithm: 'git blob sha1', file: 'config.json' });
      expect(await leftovers(h.cacheDir)).toEqual([]);
      expect(await readdir(join(h.cacheDir, 'blobs', 'sha256')).catch(() => [])).toEqual([]);
    });

    it('resumes a body cut mid-way with a Range request to the CDN, every byte sent once', async () => {
      const h = await harness();
      const files = tinyModel();
      h.hub.addCommit('org/tiny', { files });
      const shard = files['model-00001-of-00002.safetensors']!;
      h.hub.cutNext(MiB);
      const art = await h.resolve({ source: 'hf://org/tiny', include: ['model-00001-*'] });
      await layersOf(art);
      const gets = cdnGets(h.hub);
      expect(gets.map((r) => [r.status, r.range, r.cut])).toEqual([
        [200, undefined, true],
        [206, `bytes=${MiB}-`, false],
      ]);
      expect(gets[1]?.ifRange).toBe(`"${sha256(shard)}"`);
      expect(h.hub.bytesSent('cdn')).toBe(shard.length);
      expect(h.events.filter((e) => e.type === 'retry')).toHaveLength(1);
    });

    it('resumes across runs: after an abort mid-file, the next run asks the CDN only for the missing bytes', async () => {
      const h = await harness();
      const files = tinyModel();
      h.hub.addCommit('org/tiny', { files });
      const shard = files['model-00001-of-00002.safetensors']!;
      const controller = new AbortController();
      h.hub.throttle(4 * MiB);
      const ctx = await h.context(controller.signal, (e) => {
        if (e.type === 'bytes' && e.item === 'tiny/model-00001-of-00002.safetensors' && e.done >= MiB) controller.abort();
      });
      await expectCode(h.resolve({ source: 'hf://org/tiny' }, { ctx }), 'ABORTED');
      h.hub.throttle(undefined);
      const [partial] = (await leftovers(h.cacheDir)).filter((f) => !f.endsWith('.json'));
      const have = (await stat(join(h.cacheDir, 'partial', partial!))).size;
      expect(have).toBeGreaterThanOrEqual(MiB);
      expect(have).toBeLessThan(shard.length);

      const art = await h.resolve({ source: 'hf://org/tiny' });
      await layersOf(art);
      const resumed = cdnGets(h.hub).filter((r) => r.path === h.hub.cdnPath(shard)).at(-1)!;
      expect(resumed).toMatchObject({ status: 206, range: `bytes=${have}-`, ifRange: `"${sha256(shard)}"`, bytesSent: shard.length - have });
      expect(await leftovers(h.cacheDir)).toEqual([]);
    });

    it('starts again from zero when the CDN answers a Range request with 200', async () => {
      const h = await harness();
      const files = tinyModel();
      h.hub.addCommit('org/tiny', { files });
      const shard = files['model-00001-of-00002.safetensors']!;
      h.hub.cutNext(MiB);
      h.hub.ignoreRange(true);
      const art = await h.resolve({ source: 'hf://org/tiny', include: ['model-00001-*'] });
      const layers = await layersOf(art);
      expect(layers.get('model-00001-of-00002.safetensors')?.digest).toBe(`sha256:${sha256(shard)}`);
      expect(cdnGets(h.hub).map((r) => [r.status, r.range, r.bytesSent])).toEqual([
        [200, undefined, MiB],
        [200, `bytes=${MiB}-`, shard.length],
      ]);
    });

    it('never asks for more than one window per GET: a large file comes in Range windows', async () => {
      const h = await harness();
      const files = tinyModel();
      h.hub.addCommit('org/tiny', { files });
      const shard = files['model-00001-of-00002.safetensors']!;
      const window = 768 * KiB;
      const art = await h.resolve({ source: 'hf://org/tiny', include: ['model-00001-*', 'config.json'] }, { maxGetBytes: window });
      await layersOf(art);
      const gets = cdnGets(h.hub);
      const expected: string[] = [];
      // Bounded windows while more than one window remains; the last one is the open-ended rest (bytes=N-).
      for (let start = 0; start < shard.length; start += window) expected.push(shard.length - start > window ? `bytes=${start}-${start + window - 1}` : `bytes=${start}-`);
      expect(gets.map((r) => r.range)).toEqual(expected);
      expect(gets.every((r) => r.status === 206 && r.bytesSent <= window)).toBe(true);
      expect(gets.slice(1).every((r) => r.ifRange === `"${sha256(shard)}"`)).toBe(true);
      expect(h.hub.bytesSent('cdn')).toBe(shard.length);
      // A file that fits in one window is one plain GET.
      expect(h.hub.requests.filter((r) => r.path.endsWith('/config.json')).map((r) => r.range)).toEqual([undefined]);
    });

    it('takes a 200 whole when windows are asked for, and resumes a windowed download across runs', async () => {
      const h = await harness();
      const files = tinyModel();
      h.hub.addCommit('org/tiny', { files });
      const shard = files['model-00001-of-00002.safetensors']!;
      const window = 768 * KiB;
      h.hub.ignoreRange(true);
      await layersOf(await h.resolve({ source: 'hf://org/tiny', include: ['model-00001-*'] }, { maxGetBytes: window }));
      expect(cdnGets(h.hub).map((r) => [r.status, r.range, r.bytesSent])).toEqual([[200, `bytes=0-${window - 1}`, shard.length]]);

      h.hub.ignoreRange(false);
      const other = await harness();
      other.hub.addCommit('org/tiny', { files });
      const controller = new AbortController();
      other.hub.throttle(4 * MiB);
      const ctx = await other.context(controller.signal, (e) => {
        if (e.type === 'bytes' && e.done >= MiB) controller.abort();
      });
      await expectCode(other.resolve({ source: 'hf://org/tiny', include: ['model-00001-*'] }, { ctx, maxGetBytes: window }), 'ABORTED');
      other.hub.throttle(undefined);
      const seen = other.hub.requests.length;
      await layersOf(await other.resolve({ source: 'hf://org/tiny', include: ['model-00001-*'] }, { maxGetBytes: window }));
      const rerun = other.hub.requests.slice(seen).filter((r) => r.server === 'cdn');
      const first = Number(/^bytes=(\d+)-/.exec(rerun[0]?.range ?? '')?.[1]);
      expect(first).toBeGreaterThanOrEqual(MiB);
      expect(rerun.every((r) => r.status === 206 && r.bytesSent <= window && r.ifRange === `"${sha256(shard)}"`)).toBe(true);
      expect(rerun.reduce((n, r) => n + r.bytesSent, 0)).toBe(shard.length - first);
    });

    it('retries a failing API call with retry events', async () => {
      const h = await harness();
      h.hub.addCommit('org/tiny', { files: { 'config.json': Buffer.from('{}') } });
      h.hub.failNext(1, 503);
      await h.resolve({ source: 'hf://org/tiny' });
      expect(h.events.filter((e) => e.type === 'retry')).toHaveLength(1);
    });
  });

  describe('when access is restricted or the name is wrong', () => {
    it('asks for HF_TOKEN for a gated repo, says to accept the terms when the token has no access, and works with one that has', async () => {
      const h = await harness({ tokens: ['hf_other'] });
      h.hub.addCommit('meta/gated', { files: tinyModel(), gated: true, access: ['hf_granted'] });
      const anonymous = await expectCode(h.resolve({ source: 'hf://meta/gated' }), 'SOURCE_AUTH');
      expect(anonymous.message).toContain('meta/gated');
      expect(anonymous.message).toContain('gated');
      expect(anonymous.hint).toContain('HF_TOKEN');
      expect(anonymous.hint).toContain('read access');
      expect(anonymous.hint).toContain(`${h.hub.url}/meta/gated`);
      expect(anonymous.details).toMatchObject({ repo: 'meta/gated', status: 401 });

      const denied = await expectCode(h.resolve({ source: 'hf://meta/gated' }, { token: 'hf_other' }), 'SOURCE_AUTH');
      expect(denied.details).toMatchObject({ status: 403 });
      expect(denied.hint).toContain("accept the model's terms");

      const art = await h.resolve({ source: 'hf://meta/gated' }, { token: 'hf_granted' });
      await layersOf(art);
      expect(h.hub.requests.filter((r) => r.server === 'cdn').every((r) => r.authorization === undefined && r.status !== 400)).toBe(true);
    });

    it('says a private repo without a token is not found, with a hint about HF_TOKEN', async () => {
      const h = await harness();
      h.hub.addCommit('acme/secret', { files: tinyModel(), private: true, access: ['hf_acme'] });
      const err = await expectCode(h.resolve({ source: 'hf://acme/secret' }), 'SOURCE_NOT_FOUND');
      expect(err.message).toContain('acme/secret');
      expect(err.hint).toContain('HF_TOKEN');
      await layersOf(await h.resolve({ source: 'hf://acme/secret', include: ['*.json'] }, { token: 'hf_acme' }));
    });

    it('names a missing repository or revision with SOURCE_NOT_FOUND', async () => {
      const h = await harness({ tokens: ['hf_reader'] });
      h.hub.addCommit('org/tiny', { files: tinyModel() });
      const repo = await expectCode(h.resolve({ source: 'hf://org/nope' }, { token: 'hf_reader' }), 'SOURCE_NOT_FOUND');
      expect(repo.message).toContain('org/nope');
      const rev = await expectCode(h.resolve({ source: 'hf://org/tiny@v9' }), 'SOURCE_NOT_FOUND');
      expect(rev.message).toContain('revision "v9" of org/tiny');
    });

    it('refuses malformed sources with SOURCE_INVALID', async () => {
      for (const source of ['hf://tiny', 'hf://org/tiny/extra', 'hf://org/ti--ny', 'hf://org/tiny@', 'hf://-org/tiny']) {
        expect(() => parseHfSource('m', source), source).toThrow(/is not|does not|has an empty/);
      }
      expect(parseHfSource('m', 'hf://Qwen/Qwen2.5-0.5B@refs/pr/1')).toEqual({ repo: 'Qwen/Qwen2.5-0.5B', revision: 'refs/pr/1' });
      const h = await harness();
      await expectCode(h.resolve({ source: 'hf://org' }), 'SOURCE_INVALID');
    });
  });
});

describe('nextLink', () => {
  it('finds rel="next" among several links, resolved against the page', () => {
    expect(nextLink('<https://hub/a?cursor=1>; rel="next"', 'https://hub/x')).toBe('https://hub/a?cursor=1');
    expect(nextLink('<https://hub/p>; rel="prev", </api/t?c=2>; rel=next', 'https://hub/api/t')).toBe('https://hub/api/t?c=2');
    expect(nextLink('<https://hub/p>; rel="prev"', 'https://hub/x')).toBeUndefined();
    expect(nextLink(null, 'https://hub/x')).toBeUndefined();
  });
});

describe('the Hub emulator', () => {
  it('answers HEAD on resolve with the documented headers, and the CDN refuses an Authorization header', async () => {
    const h = await harness();
    const files = tinyModel();
    const commit = h.hub.addCommit('org/tiny', { files });
    const res = await fetch(`${h.hub.url}/org/tiny/resolve/main/model-00001-of-00002.safetensors`, { method: 'HEAD', redirect: 'manual' });
    expect(res.status).toBe(302);
    expect(res.headers.get('x-repo-commit')).toBe(commit.sha);
    expect(res.headers.get('x-linked-etag')).toBe(`"${sha256(files['model-00001-of-00002.safetensors']!)}"`);
    expect(res.headers.get('x-linked-size')).toBe(String(files['model-00001-of-00002.safetensors']!.length));
    const location = res.headers.get('location')!;
    expect(new URL(location).origin).toBe(h.hub.cdnUrl);
    expect((await fetch(location, { headers: { authorization: 'Bearer x' } })).status).toBe(400);
    const small = await fetch(`${h.hub.url}/org/tiny/resolve/main/config.json`, { method: 'HEAD' });
    expect(small.headers.get('etag')).toBe(`"${commit.files.find((f) => f.path === 'config.json')?.oid}"`);
  });
});
