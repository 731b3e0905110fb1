import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Descriptor } from '../../src/content/descriptor.js';
import { Registry, dockerConfigCredentials, type RegistryOptions } from '../../src/oci/index.js';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy.js';
import { expectCode } from '../support/matchers.js';
import { buildImage } from '../support/oci-image.js';
import { startRegistry, type RunningRegistry } from '../support/registry.js';
import { useTempDirs } from '../support/temp-dir.js';
import { TOKEN_ISSUER, TOKEN_SERVICE, startTokenServer, type TokenServer } from '../support/token-server.js';

const tempDir = useTempDirs();
const USER = 'auditor';
const PASSWORD = 's3cret-pa55';

function at(host: string, options: RegistryOptions = {}): Registry {
  return new Registry(host, { plainHttp: true, credentials: false, retry: { baseDelayMs: 5 }, ...options });
}

describe('Basic auth (htpasswd registry)', () => {
  let reg: RunningRegistry;
  beforeAll(async () => {
    reg = await startRegistry({ htpasswd: { user: USER, password: PASSWORD } });
  });
  afterAll(async () => {
    await reg?.stop();
  });

  it('pushes and resolves with --username/--password', async () => {
    const registry = at(reg.host, { username: USER, password: PASSWORD });
    const img = buildImage([20_000]);
    const repo = registry.repository('basic/image');
    for (const blob of [img.config, ...img.layers]) await repo.push(blob, img.open(blob));
    await repo.pushManifest(img.manifest, img.manifestBytes, 'v1');
    expect(await repo.resolve('v1')).toEqual(img.manifest);
    await registry.ping();
  });

  it('says REGISTRY_AUTH, naming the host and where the credentials came from, when the password is wrong', async () => {
    const err = await expectCode(at(reg.host, { username: USER, password: 'wrong-password' }).repository('basic/image').resolve('v1'), 'REGISTRY_AUTH');
    expect(err.message).toContain(reg.host);
    expect(err.message).toContain('refused the credentials from --username/--password');
    expect(err.hint).toMatch(/--username|docker login/);
    expect(JSON.stringify({ message: err.message, hint: err.hint, details: err.details })).not.toContain('wrong-password');
  });

  it('says REGISTRY_AUTH with a docker login hint when there are no credentials', async () => {
    const err = await expectCode(at(reg.host).repository('basic/image').resolve('v1'), 'REGISTRY_AUTH');
    expect(err.message).toContain('no credentials');
    expect(err.hint).toContain(`docker login ${reg.host}`);
  });

  it('reads credentials from a Docker config.json', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'config.json'), JSON.stringify({ auths: { [`http://${reg.host}/`]: { auth: Buffer.from(`${USER}:${PASSWORD}`).toString('base64') } } }));
    const registry = at(reg.host, { credentials: dockerConfigCredentials({ configDir: dir }) });
    await registry.ping();
    expect(await registry.repository('basic/none').listTags()).toEqual([]);
  });
});

describe('Bearer token auth (token server + registry)', () => {
  let tokens: TokenServer;
  let reg: RunningRegistry;
  let proxy: FaultProxy | undefined;
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'airbundle-token-'));
    tokens = await startTokenServer(dir, USER, PASSWORD);
    reg = await startRegistry({ token: { realm: tokens.realm, service: TOKEN_SERVICE, issuer: TOKEN_ISSUER, rootCertBundle: tokens.certFile } });
  });
  afterAll(async () => {
    await reg?.stop();
    await tokens?.stop();
    await rm(dir, { recursive: true, force: true });
  });
  afterEach(async () => {
    await proxy?.stop();
    proxy = undefined;
  });

  it('answers the Bearer challenge with a token for the repository scope, and caches it', async () => {
    const registry = at(reg.host, { username: USER, password: PASSWORD });
    const img = buildImage([30_000, 1000]);
    const repo = registry.repository('bearer/image');
    for (const blob of [img.config, ...img.layers]) await repo.push(blob, img.open(blob));
    await repo.pushManifest(img.manifest, img.manifestBytes, 'v1');
    expect(await repo.resolve('v1')).toEqual(img.manifest);
    const pushTokens = tokens.requests.filter((r) => r.scopes.includes('repository:bearer/image:pull,push'));
    expect(pushTokens).toHaveLength(1);
    expect(pushTokens[0]).toMatchObject({ authorized: true, service: TOKEN_SERVICE });
  });

  it('asks for pull on the source repository too when mounting', async () => {
    const registry = at(reg.host, { username: USER, password: PASSWORD });
    const img = buildImage([5000]);
    const layer = img.layers[0] as Descriptor;
    await registry.repository('bearer/source').push(layer, img.open(layer));
    expect(await registry.repository('bearer/target').mount(layer, 'bearer/source')).toBe('mounted');
    expect(tokens.requests.some((r) => r.scopes.includes('repository:bearer/source:pull') && r.scopes.includes('repository:bearer/target:pull,push'))).toBe(true);
  });

  it('fetches a new token when the registry answers 401 in the middle of an upload', async () => {
    proxy = await startFaultProxy(reg.host);
    const registry = at(proxy.host, { username: USER, password: PASSWORD });
    const img = buildImage([400_000]);
    const layer = img.layers[0] as Descriptor;
    const challenge = `Bearer realm="${tokens.realm}",service="${TOKEN_SERVICE}",scope="repository:bearer/reauth:pull,push"`;
    proxy.addFault({
      match: (r) => r.method === 'PUT' && r.url.includes('/blobs/uploads/'),
      action: { kind: 'status', status: 401, headers: { 'www-authenticate': challenge }, body: '{"errors":[{"code":"UNAUTHORIZED","message":"token expired"}]}' },
    });
    const before = tokens.requests.length;
    const opened: number[] = [];
    await registry.repository('bearer/reauth').push(layer, async (offset) => {
      opened.push(offset);
      return img.open(layer)(offset);
    });
    expect(tokens.requests.length - before).toBe(2);
    expect(proxy.requests.filter((r) => r.method === 'PUT').map((r) => r.status)).toEqual([401, 201]);
    expect(proxy.requests.filter((r) => r.method === 'POST')).toHaveLength(1);
    expect(await registry.repository('bearer/reauth').exists(layer)).toBe(true);
  });

  it('says REGISTRY_AUTH when the token service refuses the credentials', async () => {
    const err = await expectCode(at(reg.host, { username: USER, password: 'nope' }).repository('bearer/image').resolve('v1'), 'REGISTRY_AUTH');
    expect(err.message).toContain(`registry ${reg.host} refused the credentials`);
    expect(err.message).not.toContain('nope');
  });

  it('says REGISTRY_AUTH when an anonymous token is not enough', async () => {
    await expectCode(at(reg.host).repository('bearer/image').resolve('v1'), 'REGISTRY_AUTH');
  });
});
