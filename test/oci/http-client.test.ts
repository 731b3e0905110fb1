import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { HttpClient } from '../../src/oci/index.js';
import { expectCode } from '../support/matchers.js';
import { useTempDirs } from '../support/temp-dir.js';

const tempDir = useTempDirs();
const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

async function serve(handler: (req: IncomingMessage, res: ServerResponse) => void, server: Server = createServer(handler)): Promise<string> {
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('HttpClient', () => {
  describe('redirects', () => {
    it('follows a GET to another origin without the Authorization header, and keeps it on the same origin', async () => {
      const seen: Array<{ where: string; auth: string | undefined }> = [];
      const storage = await serve((req, res) => {
        seen.push({ where: 'storage', auth: req.headers.authorization });
        res.end('blob bytes');
      });
      const registry = await serve((req, res) => {
        seen.push({ where: req.url ?? '', auth: req.headers.authorization });
        if (req.url === '/v2/r/blobs/x') res.writeHead(307, { location: `http://${storage}/signed?sig=1` }).end();
        else if (req.url === '/same') res.writeHead(302, { location: '/final' }).end();
        else res.end('same origin');
      });
      const client = new HttpClient({ plainHttp: true });
      const headers = { authorization: 'Bearer secret-token' };
      const res = await client.send({ method: 'GET', url: new URL(`http://${registry}/v2/r/blobs/x`), headers });
      expect(await res.text()).toBe('blob bytes');
      expect(res.url.host).toBe(storage);
      await (await client.send({ method: 'GET', url: new URL(`http://${registry}/same`), headers })).text();
      expect(seen).toEqual([
        { where: '/v2/r/blobs/x', auth: 'Bearer secret-token' },
        { where: 'storage', auth: undefined },
        { where: '/same', auth: 'Bearer secret-token' },
        { where: '/final', auth: 'Bearer secret-token' },
      ]);
    });

    it('does not follow redirects of PUT', async () => {
      const host = await serve((_req, res) => res.writeHead(307, { location: '/elsewhere' }).end());
      const res = await new HttpClient({ plainHttp: true }).send({ method: 'PUT', url: new URL(`http://${host}/x`), body: Buffer.from('x') });
      expect(res.status).toBe(307);
      res.discard();
    });
  });

  describe('request bodies', () => {
    it('streams a body with its Content-Length and reports bytes', async () => {
      let received = 0;
      let length: string | undefined;
      const host = await serve((req, res) => {
        length = req.headers['content-length'];
        req.on('data', (c: Buffer) => (received += c.length));
        req.on('end', () => res.writeHead(201).end());
      });
      let reported = 0;
      const body = { length: 300_000, open: async () => Readable.from([Buffer.alloc(100_000), Buffer.alloc(200_000)]) };
      const res = await new HttpClient().send({ method: 'PUT', url: new URL(`http://${host}/u`), body, onBytes: (n) => (reported += n) });
      res.discard();
      expect([res.status, length, received, reported]).toEqual([201, '300000', 300_000, 300_000]);
    });

    it('fails with SIZE_MISMATCH when the body is shorter than announced', async () => {
      const host = await serve((req, res) => {
        req.resume();
        req.on('end', () => res.end());
      });
      const body = { length: 10, open: async () => Readable.from([Buffer.alloc(5)]) };
      await expectCode(new HttpClient().send({ method: 'PUT', url: new URL(`http://${host}/u`), body }), 'SIZE_MISMATCH');
    });
  });

  describe('TLS', () => {
    it('trusts a private CA given with caFile, or nothing with insecure, and hints at --ca-file otherwise', async () => {
      const dir = await tempDir();
      const key = join(dir, 'key.pem');
      const cert = join(dir, 'cert.pem');
      execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
      const host = await serve(
        (_req, res) => res.end('{}'),
        createHttpsServer({ key: readFileSync(key), cert: readFileSync(cert) }, (_req, res) => res.end('{}')),
      );
      const url = new URL(`https://${host}/v2/`);
      const err = await expectCode(new HttpClient().send({ method: 'GET', url }), 'REGISTRY_UNREACHABLE');
      expect(err.hint).toContain('--ca-file');
      expect(err.details?.transient).toBeUndefined();
      expect((await new HttpClient({ caFile: cert }).send({ method: 'GET', url })).status).toBe(200);
      expect((await new HttpClient({ insecure: true }).send({ method: 'GET', url })).status).toBe(200);
      await expectCode(new HttpClient({ caFile: join(dir, 'missing.pem') }).send({ method: 'GET', url }), 'USAGE');
    });
  });
});
