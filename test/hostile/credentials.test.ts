/**
 * Credentials never leave the process except in the Authorization header of the origin they belong to: not on
 * stdout or stderr (plain lines, --json documents, error messages, retry lines), not in progress events, not in
 * bundle bytes or the cache, and not in rendered YAML except as the intended base64 data of the pull Secret.
 * Both ways, success and failure (wrong password, 401), against a real registry with htpasswd auth and the
 * Hugging Face Hub emulator with a private repository.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { build } from '../../src/build.js';
import type { ProgressEvent } from '../../src/progress/events.js';
import { pushBundle } from '../../src/targets/registry/push-bundle.js';
import { REPO, runCli, type CliResult } from '../support/cli.js';
import { startFaultProxy } from '../support/fault-proxy.js';
import { startHfEmulator, type HfEmulator } from '../support/hf-emulator.js';
import { startRegistry, type RunningRegistry } from '../support/registry.js';
import { repackFixture } from '../zarf/zarf-fixture.js';
import { expectRefused, readAllFiles, snapshot } from './craft.js';

const USER = 'alice';
const PASSWORD = `pw-${randomBytes(12).toString('hex')}`;
const WRONG = `wrong-${randomBytes(12).toString('hex')}`;
const TOKEN = `hf_${randomBytes(16).toString('hex')}`;
const WRONG_TOKEN = `hf_${randomBytes(16).toString('hex')}`;
const PASSPHRASE = `phrase-${randomBytes(8).toString('hex')}`;
const WRONG_PASSPHRASE = `nope-${randomBytes(8).toString('hex')}`;
const b64 = (s: string): string => Buffer.from(s).toString('base64');

/** Every form a secret could leak in: as typed, and base64 of it alone or of `user:secret` (a Basic header). */
const SECRETS = [PASSWORD, WRONG, TOKEN, WRONG_TOKEN, PASSPHRASE, WRONG_PASSPHRASE].flatMap((s) => [s, b64(s), b64(`${USER}:${s}`)]);

/** expectClean asserts none of the secrets, in any form, is in `data`. */
function expectClean(data: string | Buffer, where: string): void {
  const buf = typeof data === 'string' ? Buffer.from(data) : data;
  for (const secret of SECRETS) expect(buf.includes(secret), `${where} holds a secret (${secret.slice(0, 6)}…)`).toBe(false);
}

/** run runs the CLI and checks its output is clean whatever the outcome. */
async function run(args: string[], env: NodeJS.ProcessEnv = {}, input?: string): Promise<CliResult> {
  const r = await runCli(args, env, input);
  expectClean(r.stdout, `stdout of bundle ${args.join(' ')}`);
  expectClean(r.stderr, `stderr of bundle ${args.join(' ')}`);
  return r;
}

let work: string;
let reg: RunningRegistry;
let hub: HfEmulator;
let demo: string;
const auth = ['--plain-http', '--username', USER, '--password-stdin'];

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'airbundle-hostile-creds-'));
  reg = await startRegistry({ htpasswd: { user: USER, password: PASSWORD } });
  hub = await startHfEmulator({ pageSize: 2 });
  hub.addCommit('org/private', {
    files: { 'config.json': Buffer.from('{"model_type":"tiny"}'), 'model.safetensors': randomBytes(300 * 1024) },
    private: true,
    access: [TOKEN],
  });
  demo = join(work, 'demo.tar');
  await build({ specPath: join(REPO, 'bundles', 'demo', 'bundle.yaml'), out: demo, cacheDir: join(work, 'cache'), env: { SOURCE_DATE_EPOCH: '946684800' } });
});

afterAll(async () => {
  await reg?.stop();
  await hub?.close();
  await rm(work, { recursive: true, force: true });
});

describe('registry credentials (htpasswd Basic auth)', () => {
  it('push succeeds with --password-stdin, AIRBUNDLE_REGISTRY_PASSWORD or docker config.json, with and without --json, saying nothing secret', async () => {
    const plain = await run(['push', demo, '--registry', reg.host, ...auth], {}, `${PASSWORD}\n`);
    expect(plain.code, plain.stderr).toBe(0);
    const json = await run(['push', demo, '--registry', reg.host, ...auth, '--json'], {}, `${PASSWORD}\n`);
    expect(json.code, json.stderr).toBe(0);
    expect((JSON.parse(json.stdout) as { references: unknown[] }).references).toHaveLength(2);
    const env = await run(['push', demo, '--registry', reg.host, '--plain-http', '--username', USER], { AIRBUNDLE_REGISTRY_PASSWORD: PASSWORD });
    expect(env.code, env.stderr).toBe(0);
    const docker = join(work, 'docker');
    await mkdir(docker, { recursive: true });
    await writeFile(join(docker, 'config.json'), JSON.stringify({ auths: { [reg.host]: { auth: b64(`${USER}:${PASSWORD}`) } } }));
    const fromConfig = await run(['push', demo, '--registry', reg.host, '--plain-http', '--json'], { DOCKER_CONFIG: docker });
    expect(fromConfig.code, fromConfig.stderr).toBe(0);
  });

  it('push with a wrong password fails REGISTRY_AUTH naming the registry and where the credentials came from, never the password', async () => {
    for (const json of [[], ['--json']]) {
      const r = await run(['push', demo, '--registry', reg.host, ...auth, ...json], {}, `${WRONG}\n`);
      expectRefused(r, { exit: 1, code: 'REGISTRY_AUTH', names: new RegExp(`${reg.host} refused the credentials from --username`) }, 'push');
    }
    const docker = join(work, 'docker-wrong');
    await mkdir(docker, { recursive: true });
    await writeFile(join(docker, 'config.json'), JSON.stringify({ auths: { [reg.host]: { auth: b64(`${USER}:${WRONG}`) } } }));
    const r = await run(['push', demo, '--registry', reg.host, '--plain-http', '--json'], { DOCKER_CONFIG: docker });
    expectRefused(r, { exit: 1, code: 'REGISTRY_AUTH', names: /refused the credentials from .*config\.json/ }, 'push');
    expect(r.stdout).toContain('"credentialSource"');
    const none = await run(['push', demo, '--registry', reg.host, '--plain-http'], { DOCKER_CONFIG: join(work, 'no-docker') });
    expectRefused(none, { exit: 1, code: 'REGISTRY_AUTH', names: /requires authentication and no credentials were found/ }, 'push');
  });

  it('credentials written into --registry are refused without being echoed (USAGE, exit 2)', async () => {
    const r = await run(['push', demo, '--registry', `${USER}:${PASSWORD}@${reg.host}`, '--plain-http']);
    expectRefused(r, { exit: 2, code: 'USAGE', names: /--registry "\*\*\*@127\.0\.0\.1:\d+" carries credentials/ }, 'push');
  });

  it('retries through 503s and resets carry no secret: not in plain retry lines, the --json report, or any progress event', async () => {
    const proxy = await startFaultProxy(reg.host);
    try {
      proxy.failNext(2, 503, (q) => q.method === 'PUT' || q.method === 'POST');
      proxy.resetAfter(64 * 1024, (q) => q.method === 'PUT' || q.method === 'PATCH');
      const plain = await run(['push', demo, '--registry', `${proxy.host}/plain`, ...auth], {}, `${PASSWORD}\n`);
      expect(plain.code, plain.stderr).toBe(0);
      expect(plain.stderr).toMatch(/retry .* \(attempt \d\)/);

      proxy.failNext(2, 503, (q) => q.method === 'PUT' || q.method === 'POST');
      const json = await run(['push', demo, '--registry', `${proxy.host}/json`, ...auth, '--json'], {}, `${PASSWORD}\n`);
      expect(json.code, json.stderr).toBe(0);
      expect((JSON.parse(json.stdout) as { retries: unknown[] }).retries.length).toBeGreaterThan(0);

      // Every event the library emits, serialised whole.
      proxy.failNext(2, 503, (q) => q.method === 'PUT' || q.method === 'POST');
      const events: ProgressEvent[] = [];
      await pushBundle(demo, { registry: `${proxy.host}/lib`, connection: { plainHttp: true, username: USER, password: PASSWORD }, onEvent: (e) => events.push(e) });
      expect(events.some((e) => e.type === 'retry')).toBe(true);
      expectClean(JSON.stringify(events), 'progress events of pushBundle');
      const failed: ProgressEvent[] = [];
      const err = await pushBundle(demo, { registry: `${proxy.host}/bad`, connection: { plainHttp: true, username: USER, password: WRONG }, onEvent: (e) => failed.push(e) }).catch((e: unknown) => e);
      expect((err as { code?: string }).code).toBe('REGISTRY_AUTH');
      expectClean(JSON.stringify({ message: (err as Error).message, details: (err as { details?: unknown }).details, hint: (err as { hint?: unknown }).hint }), 'the REGISTRY_AUTH error');
      expectClean(JSON.stringify(failed), 'progress events of a failed pushBundle');
    } finally {
      await proxy.stop();
    }
  });

  it('build from the authenticated registry: the bundle bytes, the cache and the output hold no secret; a wrong password fails cleanly', async () => {
    const login = await run(['push', demo, '--registry', `${reg.host}/src`, ...auth], {}, `${PASSWORD}\n`);
    expect(login.code, login.stderr).toBe(0);
    const dir = join(work, 'build-reg');
    await mkdir(dir, { recursive: true });
    const spec = join(dir, 'bundle.yaml');
    await writeFile(spec, `apiVersion: airbundle.dev/v1\nkind: Bundle\nmetadata: {name: pulled, version: 1.0.0}\nimages:\n  - source: oci://${reg.host}/src/demo/hello:v1\n    name: demo/hello:v1\n`);
    const cache = join(dir, 'cache');
    for (const [out, json] of [[join(dir, 'a.tar'), []], [join(dir, 'b'), ['--json']]] as const) {
      const r = await run(['build', spec, '--out', out, '--cache', cache, ...auth, ...json], {}, `${PASSWORD}\n`);
      expect(r.code, r.stderr).toBe(0);
    }
    expectClean(await readFile(join(dir, 'a.tar')), 'the built .tar');
    expectClean(await readAllFiles(join(dir, 'b')), 'the built bundle directory');
    expectClean(await readAllFiles(cache), 'the content cache');

    const bad = await run(['build', spec, '--out', join(dir, 'c.tar'), '--cache', join(dir, 'cache2'), ...auth, '--json'], {}, `${WRONG}\n`);
    expectRefused(bad, { exit: 1, code: 'REGISTRY_AUTH', names: new RegExp(reg.host) }, 'build');
    expect(await snapshot(dir)).not.toContain('c.tar');
  });

  it('credentials written into a spec source are refused before anything is fetched, and not echoed (SPEC_INVALID, exit 2)', async () => {
    const dir = join(work, 'spec-creds');
    await mkdir(dir, { recursive: true });
    const spec = join(dir, 'bundle.yaml');
    await writeFile(
      spec,
      `apiVersion: airbundle.dev/v1\nkind: Bundle\nmetadata: {name: t, version: 1.0.0}\nmodels:\n  - name: m\n    source: https://${USER}:${PASSWORD}@127.0.0.1:9/m.bin#sha256=${'a'.repeat(64)}\nimages:\n  - source: oci://${USER}:${PASSWORD}@${reg.host}/src/demo/hello:v1\n`,
    );
    for (const json of [[], ['--json']]) {
      const r = await run(['build', spec, '--out', join(dir, 'o.tar'), '--cache', join(dir, 'cache'), ...json]);
      expectRefused(r, { exit: 2, code: 'SPEC_INVALID', names: /models\[0\]\.source: carries credentials[\s\S]*images\[0\]\.source: carries credentials/ }, 'build');
    }
    expect(await snapshot(dir)).toEqual(['bundle.yaml']);
  });

  it('deploy --render-only: the password is only in the pull Secret, base64-encoded; a wrong password renders nothing', async () => {
    for (const json of [[], ['--json']]) {
      const out = join(work, `render${json.length}`);
      const r = await run(['deploy', demo, '--registry', reg.host, ...auth, '--allow-unsigned', '--render-only', out, ...json], {}, `${PASSWORD}\n`);
      expect(r.code, r.stderr).toBe(0);
      let secrets = 0;
      for (const file of await readdir(out)) {
        const text = await readFile(join(out, file), 'utf8');
        for (const doc of parseAllDocuments(text)) {
          const obj = doc.toJS() as { kind: string; type?: string; data?: Record<string, string> };
          if (obj.kind !== 'Secret') continue;
          secrets += 1;
          expect(obj.type).toBe('kubernetes.io/dockerconfigjson');
          const config = JSON.parse(Buffer.from(obj.data!['.dockerconfigjson']!, 'base64').toString('utf8')) as { auths: Record<string, { auth: string }> };
          expect(Buffer.from(config.auths[reg.host]!.auth, 'base64').toString('utf8')).toBe(`${USER}:${PASSWORD}`);
        }
        // Outside the Secret's base64 data, nothing: the plaintext, a Basic header value, base64 of the password.
        let outside = text;
        for (const doc of parseAllDocuments(text)) {
          const obj = doc.toJS() as { kind: string; data?: Record<string, string> };
          if (obj.kind === 'Secret') for (const v of Object.values(obj.data ?? {})) outside = outside.replace(v, '<secret data>');
        }
        expectClean(outside, `rendered ${file}`);
      }
      expect(secrets).toBe(1);
    }
    const never = join(work, 'render-wrong');
    const bad = await run(['deploy', demo, '--registry', reg.host, ...auth, '--allow-unsigned', '--render-only', never, '--json'], {}, `${WRONG}\n`);
    expectRefused(bad, { exit: 1, code: 'REGISTRY_AUTH' }, 'deploy');
    expect(await snapshot(never)).toBeUndefined();
  });

  it('deploy of a Zarf package --render-only: the password is only in the private-registry Secrets, base64-encoded; a wrong password renders nothing', async () => {
    const pkg = join(work, 'zarf-package-test-amd64-0.0.1.tar.zst');
    await repackFixture(pkg);
    for (const json of [[], ['--json']]) {
      const out = join(work, `zarf-render${json.length}`);
      const r = await run(['deploy', pkg, '--registry', `${reg.host}/zarf`, ...auth, '--allow-unsigned', '--render-only', out, ...json], {}, `${PASSWORD}\n`);
      expect(r.code, r.stderr).toBe(0);
      let secrets = 0;
      for (const file of await readdir(out)) {
        const text = await readFile(join(out, file), 'utf8');
        let outside = text;
        for (const doc of parseAllDocuments(text)) {
          const obj = doc.toJS() as { kind: string; metadata: { name: string }; type?: string; data?: Record<string, string> };
          if (obj.kind !== 'Secret') continue;
          secrets += 1;
          expect([obj.metadata.name, obj.type]).toEqual(['private-registry', 'kubernetes.io/dockerconfigjson']);
          for (const v of Object.values(obj.data ?? {})) outside = outside.replace(v, '<secret data>');
        }
        expectClean(outside, `rendered ${file}`);
      }
      expect(secrets).toBe(1);
    }
    const never = join(work, 'zarf-render-wrong');
    const bad = await run(['deploy', pkg, '--registry', reg.host, ...auth, '--allow-unsigned', '--render-only', never, '--json'], {}, `${WRONG}\n`);
    expectRefused(bad, { exit: 1, code: 'REGISTRY_AUTH' }, 'deploy');
    expect(await snapshot(never)).toBeUndefined();
  });

  it('a wrong key passphrase fails KEY_PASSPHRASE without echoing either passphrase', async () => {
    expect((await run(['keygen', '--out', join(work, 'k')], { AIRBUNDLE_PASSPHRASE: PASSPHRASE })).code).toBe(0);
    expectClean(await readFile(join(work, 'k.key')), 'the encrypted key file');
    const out = join(work, 'signed.tar');
    const r = await run(['build', join(REPO, 'bundles', 'demo', 'bundle.yaml'), '--out', out, '--cache', join(work, 'cache'), '--sign', join(work, 'k.key')], { AIRBUNDLE_PASSPHRASE: WRONG_PASSPHRASE });
    expectRefused(r, { exit: 2, code: 'KEY_PASSPHRASE' }, 'build');
    expect(await snapshot(work)).not.toContain('signed.tar');
    const ok = await run(['build', join(REPO, 'bundles', 'demo', 'bundle.yaml'), '--out', out, '--cache', join(work, 'cache'), '--sign', join(work, 'k.key'), '--json'], { AIRBUNDLE_PASSPHRASE: PASSPHRASE });
    expect(ok.code, ok.stderr).toBe(0);
    expectClean(await readFile(out), 'the signed bundle');
  });
});

describe('Hugging Face token (HF_TOKEN) against the Hub emulator', () => {
  const spec = async (dir: string): Promise<string> => {
    await mkdir(dir, { recursive: true });
    const path = join(dir, 'bundle.yaml');
    await writeFile(path, 'apiVersion: airbundle.dev/v1\nkind: Bundle\nmetadata: {name: hf, version: 1.0.0}\nmodels:\n  - name: private\n    source: hf://org/private\n');
    return path;
  };

  it('build with the token, through retried 503s, with and without --json: output, retry lines, events, bundle and cache hold no token', async () => {
    const dir = join(work, 'hf-ok');
    const path = await spec(dir);
    hub.failNext(2, 503, 'hub');
    const plain = await run(['build', path, '--out', join(dir, 'a.tar'), '--cache', join(dir, 'cache')], { HF_ENDPOINT: hub.url, HF_TOKEN: TOKEN });
    expect(plain.code, plain.stderr).toBe(0);
    expect(plain.stderr).toMatch(/retry .*hf:\/\/org\/private.*\(attempt 1\)/);
    const json = await run(['build', path, '--out', join(dir, 'b.tar'), '--cache', join(dir, 'cache-json'), '--json'], { HF_ENDPOINT: hub.url, HF_TOKEN: TOKEN });
    expect(json.code, json.stderr).toBe(0);
    for (const f of ['a.tar', 'b.tar']) expectClean(await readFile(join(dir, f)), `the built ${f}`);
    expectClean(await readAllFiles(join(dir, 'cache')), 'the content cache');
    // The token went to the Hub's origin only, never to the CDN it redirects to.
    expect(hub.requests.filter((q) => q.server === 'cdn' && q.authorization !== undefined)).toEqual([]);
    expect(hub.requests.some((q) => q.server === 'hub' && q.authorization === `Bearer ${TOKEN}`)).toBe(true);

    // Every event of an in-process build, serialised whole.
    const saved = { endpoint: process.env.HF_ENDPOINT, token: process.env.HF_TOKEN };
    process.env.HF_ENDPOINT = hub.url;
    process.env.HF_TOKEN = TOKEN;
    try {
      hub.failNext(1, 503, 'hub');
      const events: ProgressEvent[] = [];
      await build({ specPath: path, out: join(dir, 'c.tar'), cacheDir: join(dir, 'cache-lib'), onEvent: (e) => events.push(e) });
      expect(events.some((e) => e.type === 'retry')).toBe(true);
      expectClean(JSON.stringify(events), 'progress events of build');
    } finally {
      for (const [k, v] of [['HF_ENDPOINT', saved.endpoint], ['HF_TOKEN', saved.token]] as const) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
  });

  it('a wrong token (401 from the Hub) fails SOURCE_AUTH with an HF_TOKEN hint, naming neither token; no token is SOURCE_NOT_FOUND; no bundle', async () => {
    const dir = join(work, 'hf-bad');
    const path = await spec(dir);
    for (const json of [[], ['--json']]) {
      const r = await run(['build', path, '--out', join(dir, 'o.tar'), '--cache', join(dir, 'cache'), ...json], { HF_ENDPOINT: hub.url, HF_TOKEN: WRONG_TOKEN });
      expectRefused(r, { exit: 1, code: 'SOURCE_AUTH', names: /refused access to org\/private \(HTTP 401\)[\s\S]*the token in HF_TOKEN has no access/ }, 'build');
    }
    const none = await run(['build', path, '--out', join(dir, 'o.tar'), '--cache', join(dir, 'cache')], { HF_ENDPOINT: hub.url, HF_TOKEN: '' });
    expectRefused(none, { exit: 1, code: 'SOURCE_NOT_FOUND', names: /repository org\/private was not found[\s\S]*set HF_TOKEN/ }, 'build');
    expect(await snapshot(dir)).not.toContain('o.tar');
  });
});
