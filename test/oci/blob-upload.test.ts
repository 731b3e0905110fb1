import { Readable } from 'node:stream';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Descriptor } from '../../src/content/descriptor.js';
import { sha256Digest } from '../../src/content/digest.js';
import { Registry, type RegistryOptions } from '../../src/oci/index.js';
import type { ProgressEvent } from '../../src/progress/events.js';
import { startFaultProxy, type FaultProxy, type RequestInfo } from '../support/fault-proxy.js';
import { expectCode } from '../support/matchers.js';
import { buildImage, readAll } from '../support/oci-image.js';
import { freePort, startRegistry, type RunningRegistry } from '../support/registry.js';

let reg: RunningRegistry;
let proxy: FaultProxy;

beforeAll(async () => {
  reg = await startRegistry();
});
afterAll(async () => {
  await reg?.stop();
});
afterEach(async () => {
  await proxy?.stop();
});

interface Harness {
  registry: Registry;
  events: Array<Extract<ProgressEvent, { type: 'retry' }>>;
}

async function throughProxy(options: RegistryOptions = {}): Promise<Harness> {
  proxy = await startFaultProxy(reg.host);
  const events: Harness['events'] = [];
  const registry = new Registry(proxy.host, {
    plainHttp: true,
    credentials: false,
    retry: { baseDelayMs: 5, maxDelayMs: 20 },
    onEvent: (e) => {
      if (e.type === 'retry') events.push(e);
    },
    ...options,
  });
  return { registry, events };
}

const isUploadPut = (r: RequestInfo): boolean => r.method === 'PUT' && r.url.includes('/blobs/uploads/');
function nth(n: number, pred: (r: RequestInfo) => boolean): (r: RequestInfo) => boolean {
  let seen = 0;
  return (r) => pred(r) && ++seen === n;
}

async function storedDigest(registry: Registry, repo: string, desc: Descriptor): Promise<string> {
  return sha256Digest(await readAll(await registry.repository(repo).fetch(desc)));
}

describe('blob upload recovery (distribution 2.8 behind a fault proxy)', () => {
  it('restarts the blob from byte 0 when the connection is cut in the middle of a monolithic PUT', async () => {
    const { registry, events } = await throughProxy();
    const img = buildImage([1_000_000]);
    const layer = img.layers[0] as Descriptor;
    proxy.resetAfter(300_000, isUploadPut);
    const opened: number[] = [];
    await registry.repository('fault/mono').push(layer, async (offset) => {
      opened.push(offset);
      return img.open(layer)(offset);
    });
    expect(opened).toEqual([0, 0]);
    const puts = proxy.requests.filter(isUploadPut);
    expect(puts.map((r) => r.requestBytes)).toEqual([300_000, 1_000_000]);
    // 2.8 cannot say how far the cut request got: the status GET fails and a new session is opened.
    expect(proxy.requests.filter((r) => r.method === 'POST')).toHaveLength(2);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ type: 'retry', phase: 'registry', attempt: 1, item: `${proxy.host}/fault/mono@${layer.digest}` });
    expect(await storedDigest(registry, 'fault/mono', layer)).toBe(layer.digest);
  });

  it('resumes a chunked upload from the offset the registry reports after a failed PATCH (no byte sent twice)', async () => {
    const { registry, events } = await throughProxy({ upload: { mode: 'chunked', chunkSize: 256 * 1024 } });
    const img = buildImage([1024 * 1024]);
    const layer = img.layers[0] as Descriptor;
    proxy.failNext(1, 503, nth(3, (r) => r.method === 'PATCH'));
    await registry.repository('fault/resume').push(layer, img.open(layer));

    const patches = proxy.requests.filter((r) => r.method === 'PATCH');
    expect(patches.map((r) => r.status)).toEqual([202, 202, 503, 202, 202]);
    expect(patches.reduce((s, r) => s + r.requestBytes, 0)).toBe(1024 * 1024);
    expect(patches.at(3)?.headers['content-range']).toBe('524288-786431');
    const status = proxy.requests.filter((r) => r.method === 'GET');
    expect(status.map((r) => r.status)).toEqual([204]);
    expect(proxy.requests.filter((r) => r.method === 'POST')).toHaveLength(1);
    expect(events.map((e) => e.reason)).toEqual([expect.stringContaining('503')]);
    expect(await storedDigest(registry, 'fault/resume', layer)).toBe(layer.digest);
  });

  it('restarts a chunked upload cleanly when a PATCH is cut mid-body (the 2.8 session is lost)', async () => {
    const { registry } = await throughProxy({ upload: { mode: 'chunked', chunkSize: 256 * 1024 } });
    const img = buildImage([900_000]);
    const layer = img.layers[0] as Descriptor;
    proxy.resetAfter(100_000, nth(2, (r) => r.method === 'PATCH'));
    await registry.repository('fault/chunk-cut').push(layer, img.open(layer));
    expect(proxy.requests.filter((r) => r.method === 'POST').length).toBeGreaterThanOrEqual(2);
    expect(await storedDigest(registry, 'fault/chunk-cut', layer)).toBe(layer.digest);
  });

  it('retries 503s with backoff and reports each retry', async () => {
    const { registry, events } = await throughProxy();
    const img = buildImage([1000]);
    const layer = img.layers[0] as Descriptor;
    proxy.failNext(2, 503, (r) => r.method === 'HEAD');
    expect(await registry.repository('fault/503').exists(layer)).toBe(false);
    expect(events.map((e) => e.attempt)).toEqual([1, 2]);
    expect(proxy.requests.map((r) => r.status)).toEqual([503, 503, 404]);
  });

  it('honours Retry-After on 429', async () => {
    const { registry, events } = await throughProxy();
    const img = buildImage([1000]);
    proxy.failNext(1, 429, (r) => r.method === 'HEAD', { 'retry-after': '1' });
    const t0 = Date.now();
    expect(await registry.repository('fault/429').exists(img.layers[0] as Descriptor)).toBe(false);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(950);
    expect(events.map((e) => e.waitMs)).toEqual([1000]);
  });

  it('gives up after the configured attempts with the last error', async () => {
    const { registry, events } = await throughProxy({ retry: { maxAttempts: 3, baseDelayMs: 1 } });
    proxy.failNext(10, 500);
    const err = await expectCode(registry.repository('fault/500').exists(buildImage([10]).layers[0] as Descriptor), 'REGISTRY_ERROR');
    expect(err.message).toContain('500');
    expect(proxy.requests).toHaveLength(3);
    expect(events).toHaveLength(2);
  });

  it('retries a request that stalls past the idle timeout', async () => {
    const { registry, events } = await throughProxy({ timeoutMs: 300 });
    proxy.stallNext((r) => r.method === 'HEAD');
    expect(await registry.repository('fault/stall').exists(buildImage([10]).layers[0] as Descriptor)).toBe(false);
    expect(events).toHaveLength(1);
    expect(events[0]?.reason).toMatch(/no data|ETIMEDOUT/);
  });

  it('does not retry a body that fails verification upstream, and cancels the session', async () => {
    const { registry, events } = await throughProxy();
    const img = buildImage([200_000]);
    const layer = img.layers[0] as Descriptor;
    const broken = async (): Promise<Readable> =>
      Readable.from(
        (async function* () {
          yield Buffer.alloc(1000);
          throw Object.assign(new Error('disk read failed'), { code: 'EIO' });
        })(),
      );
    await expect(registry.repository('fault/source').push(layer, broken)).rejects.toThrow('disk read failed');
    expect(events).toHaveLength(0);
    expect(proxy.requests.some((r) => r.method === 'DELETE')).toBe(true);
  });

  it('stops at once with ABORTED when the signal fires during an upload', async () => {
    const { registry } = await throughProxy();
    const img = buildImage([500_000]);
    const layer = img.layers[0] as Descriptor;
    proxy.stallNext(isUploadPut, 100_000);
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 300);
    await expectCode(registry.repository('fault/abort').push(layer, img.open(layer), { signal: controller.signal }), 'ABORTED');
  });

  it('fails fast with REGISTRY_UNREACHABLE naming host:port when nothing listens there', async () => {
    const port = await freePort();
    const t0 = Date.now();
    const err = await expectCode(new Registry(`127.0.0.1:${port}`, { plainHttp: true, credentials: false }).ping(), 'REGISTRY_UNREACHABLE');
    expect(err.message).toContain(`127.0.0.1:${port}`);
    expect(err.hint).toContain(`127.0.0.1:${port}`);
    expect(Date.now() - t0).toBeLessThan(1000);
  });

  it('hints at --plain-http when TLS is spoken to a plain-HTTP registry', async () => {
    const err = await expectCode(new Registry(reg.host, { credentials: false, retry: { maxAttempts: 1 } }).ping(), 'REGISTRY_UNREACHABLE');
    expect(err.hint).toContain('--plain-http');
  });
});
