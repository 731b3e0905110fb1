import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { copyGraph } from '../../src/content/copy-graph.js';
import { descriptorFor, type Descriptor } from '../../src/content/descriptor.js';
import { digestHex, sha256Digest } from '../../src/content/digest.js';
import { LayoutStore } from '../../src/content/layout-store.js';
import { MemoryStore } from '../../src/content/memory-store.js';
import { Registry, type RegistryOptions } from '../../src/oci/index.js';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy.js';
import { expectCode } from '../support/matchers.js';
import { MT_LAYER, MT_MANIFEST, buildImage, readAll, skopeo, skopeoPolicy, type TestImage } from '../support/oci-image.js';
import { startRegistry, type RunningRegistry } from '../support/registry.js';
import { useTempDirs } from '../support/temp-dir.js';

const tempDir = useTempDirs();
let reg: RunningRegistry;
const proxies: FaultProxy[] = [];

beforeAll(async () => {
  reg = await startRegistry();
});
afterAll(async () => {
  await reg?.stop();
});
afterEach(async () => {
  await Promise.all(proxies.splice(0).map((p) => p.stop()));
});

function registryAt(host: string, options: RegistryOptions = {}): Registry {
  return new Registry(host, { plainHttp: true, credentials: false, retry: { baseDelayMs: 5, maxDelayMs: 20 }, ...options });
}

async function proxied(): Promise<FaultProxy> {
  const proxy = await startFaultProxy(reg.host);
  proxies.push(proxy);
  return proxy;
}

async function pushImage(registry: Registry, name: string, img: TestImage, tag = 'v1', onBytes?: (n: number) => void): Promise<void> {
  const repo = registry.repository(name);
  for (const blob of [img.config, ...img.layers]) await repo.push(blob, img.open(blob), { onBytes });
  await repo.pushManifest(img.manifest, img.manifestBytes, tag);
}

describe('Repository (against distribution 2.8)', () => {
  describe('push', () => {
    it('pushes an OCI image that skopeo reads back with the same digest and bytes', async () => {
      const img = buildImage([300_000, 120_000]);
      await pushImage(registryAt(reg.host), 'push/image', img);

      const ref = `docker://${reg.host}/push/image:v1`;
      const inspected = JSON.parse(await skopeo(['inspect', '--tls-verify=false', ref])) as { Digest: string; Layers: string[] };
      expect(inspected.Digest).toBe(img.manifest.digest);
      expect(inspected.Layers).toEqual(img.layers.map((l) => l.digest));
      expect(await skopeo(['inspect', '--tls-verify=false', '--raw', ref])).toBe(img.manifestBytes.toString());

      const dir = await tempDir();
      await skopeo(['copy', '--policy', await skopeoPolicy(dir), '--preserve-digests', '--src-tls-verify=false', ref, `oci:${join(dir, 'layout')}:v1`]);
      for (const layer of img.layers) {
        expect(sha256Digest(await readFile(join(dir, 'layout', 'blobs', 'sha256', digestHex(layer.digest))))).toBe(layer.digest);
      }
    });

    it('serves as the destination of copyGraph (blobs, then the manifest pushed by digest)', async () => {
      const src = new MemoryStore();
      const img = buildImage([50_000, 60_000]);
      for (const [, bytes] of img.blobs) src.add('application/octet-stream', bytes);
      const repo = registryAt(reg.host).repository('push/copy-graph');
      await copyGraph(src, repo, img.manifest);
      await repo.tag(img.manifest, 'latest');
      expect(await repo.resolve('latest')).toEqual(img.manifest);
      expect(await repo.exists(img.layers[0] as Descriptor)).toBe(true);
    });

    it('skips what the registry has: a second push sends no bytes, only HEADs', async () => {
      const proxy = await proxied();
      const img = buildImage([200_000, 10_000]);
      const registry = registryAt(proxy.host);
      let first = 0;
      await pushImage(registry, 'push/skip', img, 'v1', (n) => (first += n));
      expect(first).toBe(img.layers.reduce((s, l) => s + l.size, img.config.size));

      proxy.requests.length = 0;
      let second = 0;
      const repo = registry.repository('push/skip');
      for (const blob of [img.config, ...img.layers, img.manifest]) await repo.push(blob, img.open(blob), { onBytes: (n) => (second += n) });
      expect(second).toBe(0);
      expect(proxy.requests.map((r) => r.method)).toEqual(['HEAD', 'HEAD', 'HEAD', 'HEAD']);
      expect(proxy.requests.reduce((s, r) => s + r.requestBytes, 0)).toBe(0);
    });

    it('reads an image that skopeo pushed from an OCI layout', async () => {
      const dir = await tempDir();
      const img = buildImage([80_000]);
      const layout = await LayoutStore.open(join(dir, 'layout'), { create: true });
      for (const [digest, bytes] of img.blobs) {
        const desc = digest === img.manifest.digest ? img.manifest : descriptorFor(MT_LAYER, bytes);
        await layout.push(desc, img.open(desc));
      }
      await layout.tag(img.manifest, 'v1');
      await layout.saveIndex();
      await skopeo(['copy', '--policy', await skopeoPolicy(dir), '--preserve-digests', '--dest-tls-verify=false', `oci:${join(dir, 'layout')}:v1`, `docker://${reg.host}/push/from-skopeo:v1`]);

      const repo = registryAt(reg.host).repository('push/from-skopeo');
      const desc = await repo.resolve('v1');
      expect(desc).toEqual(img.manifest);
      const layer = img.layers[0] as Descriptor;
      expect(sha256Digest(await readAll(await repo.fetch(layer)))).toBe(layer.digest);
    });

    it('pushes in chunks when asked (PATCH per chunk, then an empty PUT)', async () => {
      const proxy = await proxied();
      const img = buildImage([700_000]);
      const layer = img.layers[0] as Descriptor;
      const repo = registryAt(proxy.host, { upload: { mode: 'chunked', chunkSize: 256 * 1024 } }).repository('push/chunked');
      await repo.push(layer, img.open(layer));
      const patches = proxy.requests.filter((r) => r.method === 'PATCH');
      expect(patches.map((r) => r.requestBytes)).toEqual([262_144, 262_144, 700_000 - 2 * 262_144]);
      expect(patches.map((r) => r.headers['content-range'])).toEqual(['0-262143', '262144-524287', '524288-699999']);
      expect(proxy.requests.filter((r) => r.method === 'PUT').map((r) => r.requestBytes)).toEqual([0]);
      expect(sha256Digest(await readAll(await repo.fetch(layer)))).toBe(layer.digest);
    });

    it('pushes an empty blob', async () => {
      const empty = descriptorFor('application/vnd.oci.empty.v1+json', Buffer.alloc(0));
      const repo = registryAt(reg.host).repository('push/empty');
      await repo.push(empty, async () => (await import('node:stream')).Readable.from([]));
      expect(await repo.exists(empty)).toBe(true);
    });
  });

  describe('mount', () => {
    it('mounts a blob from another repository without sending its bytes', async () => {
      const proxy = await proxied();
      const img = buildImage([150_000]);
      const layer = img.layers[0] as Descriptor;
      const registry = registryAt(proxy.host);
      await registry.repository('mount/source').push(layer, img.open(layer));
      proxy.requests.length = 0;

      const target = registry.repository('mount/target');
      expect(await target.exists(layer)).toBe(false);
      expect(await target.mount(layer, 'mount/source')).toBe('mounted');
      expect(await target.exists(layer)).toBe(true);
      const post = proxy.requests.find((r) => r.method === 'POST');
      expect(post?.url).toContain(`mount=${encodeURIComponent(layer.digest)}`);
      expect(post?.status).toBe(201);
      expect(proxy.requests.some((r) => r.method === 'PUT' || r.method === 'PATCH')).toBe(false);
    });

    it('uploads through the session the registry opened when it cannot mount (202)', async () => {
      const proxy = await proxied();
      const img = buildImage([40_000]);
      const layer = img.layers[0] as Descriptor;
      const repo = registryAt(proxy.host).repository('mount/fallback');
      await repo.push(layer, img.open(layer), { mountFrom: 'mount/nowhere' });
      expect(proxy.requests.filter((r) => r.method === 'POST').map((r) => r.status)).toEqual([202]);
      expect(proxy.requests.filter((r) => r.method === 'PUT').map((r) => r.requestBytes)).toEqual([40_000]);
      expect(await repo.exists(layer)).toBe(true);
    });

    it('fails with BLOB_NOT_FOUND when it cannot mount and has nothing to upload', async () => {
      const img = buildImage([1000]);
      const err = await expectCode(registryAt(reg.host).repository('mount/none').mount(img.layers[0] as Descriptor, 'mount/nowhere'), 'BLOB_NOT_FOUND');
      expect(err.message).toContain('mount/nowhere');
    });
  });

  describe('resolve and fetch', () => {
    let img: TestImage;
    beforeAll(async () => {
      img = buildImage([100_000, 5000]);
      await pushImage(registryAt(reg.host), 'read/image', img, 'v1');
    });

    it('resolves a tag and a digest to the manifest descriptor', async () => {
      const repo = registryAt(reg.host).repository('read/image');
      expect(await repo.resolve('v1')).toEqual(img.manifest);
      expect(await repo.resolve(img.manifest.digest)).toEqual(img.manifest);
      expect(await repo.resolve(`${reg.host}/read/image:v1`)).toEqual(img.manifest);
    });

    it('fetches a blob from an offset with a Range request', async () => {
      const proxy = await proxied();
      const repo = registryAt(proxy.host).repository('read/image');
      const layer = img.layers[0] as Descriptor;
      const bytes = await readAll(await repo.fetch(layer, { offset: 1000 }));
      expect(bytes.equals(img.blobs.get(layer.digest)?.subarray(1000) ?? Buffer.alloc(0))).toBe(true);
      const get = proxy.requests.find((r) => r.method === 'GET');
      expect(get?.headers.range).toBe('bytes=1000-');
      expect(get?.status).toBe(206);
    });

    it('fetches manifests by descriptor and by tag, byte for byte', async () => {
      const repo = registryAt(reg.host).repository('read/image');
      expect((await readAll(await repo.fetch(img.manifest))).equals(img.manifestBytes)).toBe(true);
      const fetched = await repo.fetchManifest('v1');
      expect(fetched.descriptor).toEqual(img.manifest);
      expect(fetched.bytes.equals(img.manifestBytes)).toBe(true);
    });

    it('fails a blob body that is cut short with a transient REGISTRY_UNREACHABLE', async () => {
      const proxy = await proxied();
      proxy.resetAfter(30_000, (r) => r.method === 'GET', 'response');
      const layer = img.layers[0] as Descriptor;
      const stream = await registryAt(proxy.host).repository('read/image').fetch(layer);
      const err = await expectCode(readAll(stream), 'REGISTRY_UNREACHABLE');
      expect(err.details?.transient).toBe(true);
    });

    it('says MANIFEST_NOT_FOUND and BLOB_NOT_FOUND for what is not there', async () => {
      const repo = registryAt(reg.host).repository('read/image');
      const err = await expectCode(repo.resolve('nope'), 'MANIFEST_NOT_FOUND');
      expect(err.message).toContain(`${reg.host}/read/image:nope`);
      expect(err.message).toContain('404 Not Found');
      const missing = descriptorFor(MT_LAYER, Buffer.from('not pushed'));
      await expectCode(repo.fetch(missing), 'BLOB_NOT_FOUND');
      expect(await repo.exists(missing)).toBe(false);
    });
  });

  describe('tags, catalog, ping, delete', () => {
    it('lists tags sorted and repositories in the catalog', async () => {
      const registry = registryAt(reg.host);
      const img = buildImage([1000]);
      await pushImage(registry, 'tags/image', img, 'b');
      const repo = registry.repository('tags/image');
      await repo.tag(img.manifest, 'a');
      await repo.tag(img.manifest, 'c');
      expect(await repo.listTags()).toEqual(['a', 'b', 'c']);
      expect(await registry.repository('tags/none').listTags()).toEqual([]);
      expect(await registry.catalog()).toContain('tags/image');
      await registry.ping();
    });

    it('deletes a manifest', async () => {
      const registry = registryAt(reg.host);
      const img = buildImage([1000]);
      await pushImage(registry, 'tags/delete', img, 'v1');
      const repo = registry.repository('tags/delete');
      await repo.delete(img.manifest);
      await expectCode(repo.resolve(img.manifest.digest), 'MANIFEST_NOT_FOUND');
    });
  });

  describe('referrers', () => {
    it('falls back to the tag schema: a pushed referrer is indexed under sha256-<hex> and listed', async () => {
      const registry = registryAt(reg.host);
      const img = buildImage([2000]);
      await pushImage(registry, 'ref/image', img, 'v1');
      const repo = registry.repository('ref/image');

      const pushReferrer = async (artifactType: string, payload: string): Promise<Descriptor> => {
        const empty = descriptorFor('application/vnd.oci.empty.v1+json', Buffer.from('{}'));
        const layer = descriptorFor('application/octet-stream', Buffer.from(payload));
        await repo.push(empty, async () => (await import('node:stream')).Readable.from([Buffer.from('{}')]));
        await repo.push(layer, async () => (await import('node:stream')).Readable.from([Buffer.from(payload)]));
        const bytes = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MT_MANIFEST, artifactType, config: empty, layers: [layer], subject: img.manifest, annotations: { 'org.example': payload } }));
        const desc = descriptorFor(MT_MANIFEST, bytes);
        await repo.pushManifest(desc, bytes);
        return desc;
      };
      const sig = await pushReferrer('application/vnd.dev.sigstore.bundle.v0.3+json', 'signature');
      const sbom = await pushReferrer('application/spdx+json', 'sbom');

      const all = await repo.referrers(img.manifest);
      expect(all.map((d) => d.digest)).toEqual([sig.digest, sbom.digest]);
      expect(all[0]).toMatchObject({ artifactType: 'application/vnd.dev.sigstore.bundle.v0.3+json', annotations: { 'org.example': 'signature' } });
      expect((await repo.referrers(img.manifest, { artifactType: 'application/spdx+json' })).map((d) => d.digest)).toEqual([sbom.digest]);

      const tag = `sha256-${digestHex(img.manifest.digest)}`;
      const index = JSON.parse(await skopeo(['inspect', '--tls-verify=false', '--raw', `docker://${reg.host}/ref/image:${tag}`])) as { manifests: Descriptor[] };
      expect(index.manifests.map((d) => d.digest)).toEqual([sig.digest, sbom.digest]);
      expect(await registry.repository('ref/image').referrers(sha256Digest('nothing refers to this'))).toEqual([]);
    });
  });

  describe('errors', () => {
    it('quotes the registry error body (MANIFEST_BLOB_UNKNOWN) as REGISTRY_ERROR', async () => {
      const img = buildImage([1000]);
      const err = await expectCode(registryAt(reg.host).repository('err/image').pushManifest(img.manifest, img.manifestBytes, 'v1'), 'REGISTRY_ERROR');
      expect(err.message).toContain('MANIFEST_BLOB_UNKNOWN');
      expect(err.message).toContain(`${reg.host}/err/image`);
      expect(err.details?.status).toBe(400);
    });

    it('refuses manifest bytes that do not match their descriptor, before sending them', async () => {
      const img = buildImage([1000]);
      await expectCode(registryAt(reg.host).repository('err/image').pushManifest(img.manifest, Buffer.from('{}')), 'DIGEST_MISMATCH');
    });

    it('rejects invalid repository names and tags', async () => {
      expect(() => registryAt(reg.host).repository('Upper/Case')).toThrow(/lowercase/);
      const img = buildImage([10]);
      await expectCode(registryAt(reg.host).repository('err/image').tag(img.manifest, 'bad:tag'), 'REFERENCE_INVALID');
    });
  });
});
