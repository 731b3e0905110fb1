import { createHash } from 'node:crypto';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ChunkHasher } from '../../src/cache/chunk-hasher.js';
import { ContentCache } from '../../src/cache/content-cache.js';
import { fetchJson } from '../../src/content/fetch-bytes.js';
import type { Descriptor } from '../../src/content/descriptor.js';
import type { ProgressEvent } from '../../src/progress/events.js';
import { resolveHttpModel, type HttpModelEntry } from '../../src/sources/http/http-source.js';
import type { ResolvedArtifact, SourceContext } from '../../src/sources/source.js';
import { startHttpFileServer, type HttpFileServer, type HttpFileServerOptions } from '../support/http-file-server.js';
import { expectCode } from '../support/matchers.js';
import { useTempDirs } from '../support/temp-dir.js';
import { pseudoRandom } from '../support/pseudo-random.js';

const MiB = 1024 * 1024;
const SIZE = 3.5 * MiB + 123;
const NOW = new Date('2024-05-01T12:00:00Z');
const tempDir = useTempDirs();
const servers: HttpFileServer[] = [];

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

const fixture = pseudoRandom;

function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

interface Harness {
  server: HttpFileServer;
  cacheDir: string;
  events: ProgressEvent[];
  context(signal?: AbortSignal, onEvent?: (e: ProgressEvent) => void): Promise<SourceContext>;
}

async function harness(options: HttpFileServerOptions): Promise<Harness> {
  const server = await startHttpFileServer(options);
  servers.push(server);
  const dir = await tempDir();
  const cacheDir = join(dir, 'cache');
  const events: ProgressEvent[] = [];
  return {
    server,
    cacheDir,
    events,
    context: async (signal, onEvent) => ({
      cache: await ContentCache.open(cacheDir),
      specDir: dir,
      chunkSize: MiB,
      now: NOW,
      onEvent: (e) => {
        events.push(e);
        onEvent?.(e);
      },
      ...(signal !== undefined ? { signal } : {}),
    }),
  };
}

interface Manifest {
  layers: Array<Descriptor & { annotations: Record<string, string> }>;
}

/** layerOf returns the single layer of a resolved model, after checking its bytes hash to `bytes`. */
async function layerOf(art: ResolvedArtifact, bytes: Buffer): Promise<Manifest['layers'][number]> {
  const manifest = (await fetchJson(art.storage, art.root)) as Manifest;
  expect(manifest.layers).toHaveLength(1);
  const layer = manifest.layers[0]!;
  const hash = createHash('sha256');
  for await (const chunk of await art.storage.fetch(layer)) hash.update(chunk as Buffer);
  expect(hash.digest('hex')).toBe(sha256(bytes));
  expect(layer.digest).toBe(`sha256:${sha256(bytes)}`);
  return layer;
}

function gets(server: HttpFileServer): HttpFileServer['requests'] {
  return server.requests.filter((r) => r.method === 'GET');
}

async function leftovers(cacheDir: string): Promise<string[]> {
  return readdir(join(cacheDir, 'partial')).catch(() => []);
}

describe('resolveHttpModel', () => {
  describe('when the source is pinned', () => {
    it('downloads, verifies, records chunks and provenance, and makes no request the second time', async () => {
      const bytes = fixture(SIZE);
      const h = await harness({ files: { '/m/model.safetensors': bytes } });
      const entry: HttpModelEntry = { name: 'tiny', source: `${h.server.url}/m/model.safetensors#sha256=${sha256(bytes)}` };
      const art = await resolveHttpModel(entry, await h.context(), '1.0');

      expect(art.ref).toBe('models/tiny:1.0');
      expect(art.kind).toBe('model');
      const layer = await layerOf(art, bytes);
      expect(layer.annotations['org.cncf.model.filepath']).toBe('model.safetensors');
      expect(layer.mediaType).toBe('application/vnd.cncf.model.weight.v1.raw');
      const expectedChunks = new ChunkHasher(MiB);
      expectedChunks.update(bytes);
      expect(art.chunks.get(layer.digest)).toEqual(expectedChunks.digest().chunks);
      expect(art.chunks.get(layer.digest)).toHaveLength(4);

      const served = gets(h.server);
      expect(served).toHaveLength(1);
      expect(art.provenance).toMatchObject({ type: 'http', uri: `${h.server.url}/m/model.safetensors`, details: { file: 'model.safetensors' } });
      expect(art.provenance.revision).toMatch(/^"/);
      expect(art.provenance.resolvedAt).not.toBe(NOW.toISOString());
      expect(h.events.filter((e) => e.type === 'item-start').map((e) => e.item)).toEqual(['tiny/model.safetensors']);
      expect(h.events.at(-1)).toEqual({ type: 'item-end', phase: 'resolve', item: 'tiny/model.safetensors', cached: false });
      expect(h.events.some((e) => e.type === 'bytes' && e.done === SIZE && e.total === SIZE)).toBe(true);
      expect(await leftovers(h.cacheDir)).toEqual([]);

      h.events.length = 0;
      const again = await resolveHttpModel(entry, await h.context(), '1.0');
      expect(h.server.requests).toHaveLength(1);
      expect(again.root).toEqual(art.root);
      expect(again.chunks).toEqual(art.chunks);
      expect(again.provenance).toEqual(art.provenance);
      expect(h.events.filter((e) => e.type === 'bytes')).toEqual([]);
      expect(h.events.at(-1)).toMatchObject({ type: 'item-end', cached: true });
    });

    it('takes the pin from entry.sha256 too, with or without the sha256: prefix', async () => {
      const bytes = fixture(1000);
      const h = await harness({ files: { '/w.bin': bytes } });
      const art = await resolveHttpModel({ name: 'w', source: `${h.server.url}/w.bin`, sha256: `sha256:${sha256(bytes)}` }, await h.context(), '1');
      await layerOf(art, bytes);
      await resolveHttpModel({ name: 'w', source: `${h.server.url}/w.bin`, sha256: sha256(bytes).toUpperCase() }, await h.context(), '1');
      expect(h.server.requests).toHaveLength(1);
    });

    it('fails with DIGEST_MISMATCH on a wrong pin and keeps nothing in the cache', async () => {
      const bytes = fixture(2 * MiB);
      const wrong = sha256(Buffer.from('something else'));
      const h = await harness({ files: { '/m/w.bin': bytes } });
      const url = `${h.server.url}/m/w.bin`;
      const err = await expectCode(resolveHttpModel({ name: 'bad', source: `${url}#sha256=${wrong}` }, await h.context(), '1'), 'DIGEST_MISMATCH');
      expect(err.message).toContain('"bad"');
      expect(err.message).toContain(url);
      expect(err.message).toContain(wrong);
      expect(err.message).toContain(sha256(bytes));
      expect(err.hint).toMatch(/pin/);
      expect(await leftovers(h.cacheDir)).toEqual([]);
      expect(await readdir(join(h.cacheDir, 'blobs', 'sha256'))).toEqual([]);
    });

    it.each([
      ['a malformed fragment pin', '#sha256=abc', undefined],
      ['an unknown fragment', '#md5=abc', undefined],
      ['two pins that differ', `#sha256=${'a'.repeat(64)}`, 'b'.repeat(64)],
      ['a malformed sha256 field', '', 'sha256:xyz'],
    ])('rejects %s with SOURCE_INVALID before any request', async (_what, fragment, pin) => {
      const h = await harness({ files: { '/w.bin': fixture(10) } });
      const entry: HttpModelEntry = { name: 'w', source: `${h.server.url}/w.bin${fragment}`, ...(pin !== undefined ? { sha256: pin } : {}) };
      await expectCode(resolveHttpModel(entry, await h.context(), '1'), 'SOURCE_INVALID');
      expect(h.server.requests).toEqual([]);
    });
  });

  describe('when the source is not pinned', () => {
    it('revalidates with If-None-Match, reuses the blob on 304, and downloads again once the file changed', async () => {
      const first = fixture(100_000, 7);
      const h = await harness({ files: { '/w.gguf': first } });
      const entry: HttpModelEntry = { name: 'w', source: `${h.server.url}/w.gguf` };
      const a = await resolveHttpModel(entry, await h.context(), '1');
      await layerOf(a, first);

      h.events.length = 0;
      const b = await resolveHttpModel(entry, await h.context(), '1');
      expect(b.root).toEqual(a.root);
      const revalidation = h.server.requests.at(-1)!;
      expect(revalidation).toMatchObject({ status: 304, bytesSent: 0 });
      expect(revalidation.ifNoneMatch).toBe(a.provenance.revision);
      expect(h.events.at(-1)).toMatchObject({ type: 'item-end', cached: true });

      const second = fixture(100_000, 8);
      h.server.setFile('/w.gguf', second);
      const c = await resolveHttpModel(entry, await h.context(), '1');
      await layerOf(c, second);
      expect(h.server.requests.at(-1)).toMatchObject({ status: 200, bytesSent: second.length });
    });
  });

  describe('when the server misbehaves', () => {
    it('fails with SOURCE_HTTP_STATUS on a 404, naming the URL and status', async () => {
      const h = await harness({});
      const url = `${h.server.url}/nope/model.bin`;
      const err = await expectCode(resolveHttpModel({ name: 'x', source: url }, await h.context(), '1'), 'SOURCE_HTTP_STATUS');
      expect(err.message).toContain(url);
      expect(err.message).toContain('404');
      expect(h.server.requests).toHaveLength(1);
    });

    it('fails with SOURCE_UNREACHABLE when nothing listens', async () => {
      const h = await harness({});
      const url = `${h.server.url}/model.bin`;
      await h.server.close();
      const err = await expectCode(resolveHttpModel({ name: 'x', source: url }, await h.context(), '1'), 'SOURCE_UNREACHABLE');
      expect(err.message).toContain(url);
    });

    it('retries a 503 with retry events, then succeeds', async () => {
      const bytes = fixture(50_000);
      const h = await harness({ files: { '/w.bin': bytes } });
      h.server.failNext(2);
      const art = await resolveHttpModel({ name: 'w', source: `${h.server.url}/w.bin#sha256=${sha256(bytes)}` }, await h.context(), '1');
      await layerOf(art, bytes);
      const retries = h.events.filter((e) => e.type === 'retry');
      expect(retries.map((e) => e.attempt)).toEqual([1, 2]);
      expect(retries[0]).toMatchObject({ phase: 'resolve', item: 'w/w.bin', reason: expect.stringContaining('503') });
      expect(h.server.requests.map((r) => r.status)).toEqual([503, 503, 200]);
    });

    it('gives up on a server that keeps failing with SOURCE_HTTP_STATUS', async () => {
      const h = await harness({ files: { '/w.bin': fixture(10) } });
      h.server.failNext(10, 500);
      const err = await expectCode(resolveHttpModel({ name: 'w', source: `${h.server.url}/w.bin` }, await h.context(), '1'), 'SOURCE_HTTP_STATUS');
      expect(err.message).toContain('500');
      expect(h.server.requests).toHaveLength(4);
    });

    it('resumes a body cut mid-way with a Range request, so every byte is sent once', async () => {
      const bytes = fixture(SIZE);
      const h = await harness({ files: { '/w.bin': bytes } });
      const cutAt = 1.5 * MiB;
      h.server.cutNext(cutAt);
      const art = await resolveHttpModel({ name: 'w', source: `${h.server.url}/w.bin#sha256=${sha256(bytes)}` }, await h.context(), '1');
      await layerOf(art, bytes);
      const served = gets(h.server);
      expect(served.map((r) => [r.status, r.range, r.cut])).toEqual([
        [200, undefined, true],
        [206, `bytes=${cutAt}-`, false],
      ]);
      expect(served[1]!.ifRange).toMatch(/^"/);
      expect(h.server.bytesSent()).toBe(SIZE);
      expect(h.events.filter((e) => e.type === 'retry')).toHaveLength(1);
      expect(art.chunks.get(`sha256:${sha256(bytes)}` as never)).toHaveLength(4);
    });

    it('starts over rather than resume when the server sends no validators to resume against', async () => {
      const bytes = fixture(2 * MiB);
      const h = await harness({ files: { '/w.bin': bytes }, etag: false, lastModified: false });
      h.server.cutNext(MiB);
      const art = await resolveHttpModel({ name: 'w', source: `${h.server.url}/w.bin#sha256=${sha256(bytes)}` }, await h.context(), '1');
      await layerOf(art, bytes);
      expect(gets(h.server).map((r) => [r.status, r.range])).toEqual([
        [200, undefined],
        [200, undefined],
      ]);
    });

    it('follows redirects, naming the file after the URL in the spec', async () => {
      const bytes = fixture(3000);
      const h = await harness({ files: { '/blobs/abc': bytes }, redirects: { '/latest/weights.gguf': '/blobs/abc' } });
      const art = await resolveHttpModel({ name: 'r', source: `${h.server.url}/latest/weights.gguf#sha256=${sha256(bytes)}` }, await h.context(), '1');
      const layer = await layerOf(art, bytes);
      expect(layer.annotations['org.cncf.model.filepath']).toBe('weights.gguf');
      expect(h.server.requests.map((r) => r.status)).toEqual([302, 200]);
    });

    it('decodes and sanitises the file name, and refuses a URL without one', async () => {
      const bytes = fixture(10);
      const h = await harness({ files: { '/d/my model.gguf': bytes, '/d/a/../b.bin': bytes } });
      const spaced = await resolveHttpModel({ name: 'n', source: `${h.server.url}/d/my%20model.gguf` }, await h.context(), '1');
      expect((await layerOf(spaced, bytes)).annotations['org.cncf.model.filepath']).toBe('my model.gguf');
      const slashed = await resolveHttpModel({ name: 'n', source: `${h.server.url}/d/a%2F..%2Fb.bin` }, await h.context(), '1');
      expect((await layerOf(slashed, bytes)).annotations['org.cncf.model.filepath']).toBe('a_.._b.bin');
      await expectCode(resolveHttpModel({ name: 'n', source: `${h.server.url}/d/` }, await h.context(), '1'), 'SOURCE_INVALID');
      await expectCode(resolveHttpModel({ name: 'n', source: `${h.server.url}/d/%2E%2E` }, await h.context(), '1'), 'SOURCE_INVALID');
    });
  });

  describe('when an earlier run was killed mid-file', () => {
    async function killedRun(h: Harness, entry: HttpModelEntry): Promise<number> {
      const controller = new AbortController();
      h.server.throttle(8 * MiB);
      const ctx = await h.context(controller.signal, (e) => {
        if (e.type === 'bytes' && e.done >= MiB) controller.abort();
      });
      await expectCode(resolveHttpModel(entry, ctx, '1'), 'ABORTED');
      h.server.throttle(undefined);
      const url = entry.source.replace(/#.*$/, '');
      const partial = await stat(join(h.cacheDir, 'partial', ContentCache.keyOf(url)));
      return partial.size;
    }

    it('resumes from the partial file with bytes=N- and gets the right digest', async () => {
      const bytes = fixture(SIZE);
      const h = await harness({ files: { '/w.bin': bytes } });
      const entry: HttpModelEntry = { name: 'w', source: `${h.server.url}/w.bin#sha256=${sha256(bytes)}` };
      const n = await killedRun(h, entry);
      expect(n).toBeGreaterThan(0);
      expect(n).toBeLessThan(SIZE);

      const art = await resolveHttpModel(entry, await h.context(), '1');
      await layerOf(art, bytes);
      const resumed = h.server.requests.at(-1)!;
      expect(resumed).toMatchObject({ status: 206, range: `bytes=${n}-`, bytesSent: SIZE - n });
      const expectedChunks = new ChunkHasher(MiB);
      expectedChunks.update(bytes);
      expect(art.chunks.get(`sha256:${sha256(bytes)}` as never)).toEqual(expectedChunks.digest().chunks);
      expect(await leftovers(h.cacheDir)).toEqual([]);
    });

    it('starts over when the file changed in between (If-Range answered with 200)', async () => {
      const old = fixture(SIZE, 3);
      const h = await harness({ files: { '/w.bin': old } });
      const n = await killedRun(h, { name: 'w', source: `${h.server.url}/w.bin` });
      expect(n).toBeGreaterThan(0);

      const fresh = fixture(SIZE, 4);
      h.server.setFile('/w.bin', fresh);
      const art = await resolveHttpModel({ name: 'w', source: `${h.server.url}/w.bin#sha256=${sha256(fresh)}` }, await h.context(), '1');
      await layerOf(art, fresh);
      expect(h.server.requests.at(-1)).toMatchObject({ status: 200, range: `bytes=${n}-`, bytesSent: SIZE });
    });
  });
});
