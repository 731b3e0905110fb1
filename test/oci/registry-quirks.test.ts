import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { descriptorFor } from '../../src/content/descriptor.js';
import { parseDigest } from '../../src/content/digest.js';
import { Registry } from '../../src/oci/index.js';
import { expectCode } from '../support/matchers.js';

/**
 * Registry behaviours that distribution 2.8 does not show, from small fake servers: Zot's refusal of Docker
 * manifests, Link pagination, a referrers API, a HEAD without Docker-Content-Digest, 403.
 */
const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

async function fake(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<Registry> {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => handler(req, res));
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return new Registry(`127.0.0.1:${(server.address() as AddressInfo).port}`, { plainHttp: true, credentials: false, retry: { maxAttempts: 1 } });
}

const json = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void => {
  res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
};

describe('registry quirks', () => {
  it('tells to enable docker2s2 when Zot refuses a Docker schema 2 manifest', async () => {
    const registry = await fake((_req, res) => json(res, 415, { errors: [{ code: 'MANIFEST_INVALID', message: 'manifest invalid', detail: { mediaType: 'application/vnd.docker.distribution.manifest.v2+json' } }] }));
    const bytes = Buffer.from('{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json"}');
    const desc = descriptorFor('application/vnd.docker.distribution.manifest.v2+json', bytes);
    const err = await expectCode(registry.repository('zot/image').pushManifest(desc, bytes, 'v1'), 'REGISTRY_ERROR');
    expect(err.message).toContain('looks like Zot');
    expect(err.message).toContain('"compat": ["docker2s2"]');
    expect(err.message).toContain('MANIFEST_INVALID');
  });

  it('follows Link pagination for tags and the catalog', async () => {
    const registry = await fake((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      if (url.pathname === '/v2/p/tags/list') {
        if (url.searchParams.get('last') === null) json(res, 200, { name: 'p', tags: ['b', 'a'] }, { link: '</v2/p/tags/list?last=b&n=2>; rel="next"' });
        else json(res, 200, { name: 'p', tags: ['c'] });
      } else if (url.pathname === '/v2/_catalog') {
        if (url.searchParams.get('last') === null) json(res, 200, { repositories: ['one'] }, { link: '</v2/_catalog?last=one>; rel="next"' });
        else json(res, 200, { repositories: ['two'] });
      } else json(res, 404, {});
    });
    expect(await registry.repository('p').listTags()).toEqual(['a', 'b', 'c']);
    expect(await registry.catalog()).toEqual(['one', 'two']);
  });

  it('uses the referrers API where there is one (no tag-schema lookup)', async () => {
    const paths: string[] = [];
    const subject = parseDigest(`sha256:${'1'.repeat(64)}`);
    const referrer = { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: `sha256:${'2'.repeat(64)}`, size: 10, artifactType: 'application/x-sig' };
    const registry = await fake((req, res) => {
      paths.push(req.url ?? '');
      json(res, 200, { schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: [referrer, { ...referrer, digest: `sha256:${'3'.repeat(64)}`, artifactType: 'application/x-other' }] });
    });
    expect(await registry.repository('r').referrers(subject, { artifactType: 'application/x-sig' })).toEqual([referrer]);
    expect(paths).toEqual([`/v2/r/referrers/${subject}?artifactType=application%2Fx-sig`]);
  });

  it('resolves with a GET when HEAD does not give the digest, and checks it', async () => {
    const body = Buffer.from('{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[]}');
    const digest = `sha256:${createHash('sha256').update(body).digest('hex')}`;
    const registry = await fake((req, res) => {
      res.writeHead(200, { 'content-type': 'application/vnd.oci.image.index.v1+json', 'content-length': String(body.length) });
      res.end(req.method === 'HEAD' ? undefined : body);
    });
    expect(await registry.repository('h').resolve('v1')).toEqual({ mediaType: 'application/vnd.oci.image.index.v1+json', digest, size: body.length });
  });

  it('resumes a monolithic upload from the offset a resumable registry (distribution v3 style) reports', async () => {
    const blob = randomBytes(1_000_000);
    const desc = descriptorFor('application/octet-stream', blob);
    let stored = Buffer.alloc(0);
    const puts: Array<{ range: string | undefined; bytes: number }> = [];
    const server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      if (req.method === 'HEAD') return void res.writeHead(404).end();
      if (req.method === 'POST') return void res.writeHead(202, { location: '/upload/1', range: '0-0' }).end();
      if (req.method === 'GET') return void res.writeHead(204, { location: '/upload/1', range: `0-${stored.length - 1}` }).end();
      if (req.method === 'PUT' && url.pathname === '/upload/1') {
        const first = puts.length === 0;
        const entry = { range: req.headers['content-range'], bytes: 0 };
        puts.push(entry);
        req.on('data', (c: Buffer) => {
          entry.bytes += c.length;
          stored = Buffer.concat([stored, c]);
          // The first PUT dies after some 300 kB: the registry keeps what it got.
          if (first && entry.bytes >= 300_000) req.socket.destroy();
        });
        req.on('end', () => {
          const ok = createHash('sha256').update(stored).digest('hex') === desc.digest.slice(7);
          res.writeHead(ok ? 201 : 400, ok ? { 'docker-content-digest': desc.digest } : {}).end();
        });
        return;
      }
      res.writeHead(404).end();
    });
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const registry = new Registry(`127.0.0.1:${(server.address() as AddressInfo).port}`, { plainHttp: true, credentials: false, retry: { baseDelayMs: 1 } });
    const opened: number[] = [];
    await registry.repository('v3/resume').push(desc, async (offset) => {
      opened.push(offset);
      return Readable.from([blob.subarray(offset)]);
    });
    const resumedAt = opened[1] ?? -1;
    expect(resumedAt).toBeGreaterThanOrEqual(300_000);
    expect(puts[1]).toEqual({ range: `${resumedAt}-999999`, bytes: 1_000_000 - resumedAt });
    expect(stored.equals(blob)).toBe(true);
  });

  it('says REGISTRY_DENIED on 403', async () => {
    const registry = await fake((_req, res) => json(res, 403, { errors: [{ code: 'DENIED', message: 'requested access to the resource is denied' }] }));
    const err = await expectCode(registry.repository('d').resolve('v1'), 'REGISTRY_DENIED');
    expect(err.hint).toContain('permission');
  });
});
