import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, runTool } from '../support/cli.js';
import { startFaultProxy } from '../support/fault-proxy.js';
import { startHarborEmulator } from '../support/harbor-emulator.js';
import { writeFixtureSpec } from '../support/fixture-bundle.js';
import { startRegistry, type RunningRegistry } from '../support/registry.js';

interface PushJson {
  references: Array<{ kind: string; reference: string; digest: string }>;
  uploaded: number;
  skipped: number;
  mounted: number;
  bytes: number;
  retries: Array<{ reason: string }>;
}

let work: string;
let bundle: string;
let artifacts: Array<{ ref: string; digest: string; kind: string }>;
const registries: RunningRegistry[] = [];

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'airbundle-push-'));
  const fx = await writeFixtureSpec(join(work, 'spec'));
  bundle = join(work, 'b.tar.zst');
  const built = await runCli(['build', fx.spec, '--out', bundle, '--cache', join(work, 'cache'), '--volume-size', '2M', '--json']);
  expect(built.code, built.stderr).toBe(0);
  artifacts = (JSON.parse(built.stdout) as { artifacts: Array<{ ref: string; digest: string; kind: string }> }).artifacts;
});

afterAll(async () => {
  await Promise.all(registries.map((r) => r.stop()));
  await rm(work, { recursive: true, force: true });
});

async function registry(options: Parameters<typeof startRegistry>[0] = {}): Promise<RunningRegistry> {
  const r = await startRegistry(options);
  registries.push(r);
  return r;
}

async function rawDigest(ref: string, creds: string[] = []): Promise<string> {
  const raw = await runTool('skopeo', ['inspect', '--raw', '--tls-verify=false', ...creds, `docker://${ref}`]);
  expect(raw.code, raw.stderr).toBe(0);
  return `sha256:${createHash('sha256').update(raw.stdout).digest('hex')}`;
}

describe('bundle push', () => {
  it('streams a volume bundle into distribution 2.8; skopeo inspects and copies every reference, digests unchanged; a second push sends nothing', async () => {
    const reg = await registry();
    const r = await runCli(['push', `${bundle}.000`, '--registry', `${reg.host}/mirror`, '--plain-http', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as PushJson;
    expect(report.references.map((x) => x.reference).sort()).toEqual([`${reg.host}/mirror/demo/hello:v1`, `${reg.host}/mirror/models/big:1.2.3`]);
    for (const ref of report.references) {
      const expected = artifacts.find((a) => ref.reference.endsWith(a.ref))!.digest;
      expect(ref.digest).toBe(expected);
      expect(await rawDigest(ref.reference)).toBe(expected);
      const copy = await runTool('skopeo', ['copy', '--src-tls-verify=false', `docker://${ref.reference}`, `oci:${join(work, `copy-${ref.kind}`)}:x`]);
      expect(copy.code, copy.stderr).toBe(0);
    }
    expect(report.bytes).toBeGreaterThan(5 * 1024 * 1024);

    const again = await runCli(['push', bundle, '--registry', `${reg.host}/mirror`, '--plain-http', '--json']);
    expect(again.code, again.stderr).toBe(0);
    const second = JSON.parse(again.stdout) as PushJson;
    expect(second.bytes).toBe(0);
    expect(second.uploaded).toBe(0);
  });

  it('mounts blobs shared between repositories instead of sending them twice', async () => {
    const dir = join(work, 'twins');
    await writeFixtureSpec(dir, { bigSize: 3 * 1024 * 1024 });
    const spec = join(dir, 'twins.yaml');
    const { writeFile } = await import('node:fs/promises');
    await writeFile(
      spec,
      'apiVersion: airbundle.dev/v1\nkind: Bundle\nmetadata: {name: twins, version: 1.2.3}\nmodels:\n  - {name: big, source: file://./models/big}\n  - {name: twin, source: file://./models/big}\n',
    );
    const out = join(dir, 'twins.tar');
    const built = await runCli(['build', spec, '--out', out, '--cache', join(work, 'cache')]);
    expect(built.code, built.stderr).toBe(0);
    const reg = await registry();
    const r = await runCli(['push', out, '--registry', reg.host, '--plain-http', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as PushJson;
    expect(report.references.map((x) => x.reference).sort()).toEqual([`${reg.host}/models/big:1.2.3`, `${reg.host}/models/twin:1.2.3`]);
    expect(report.mounted).toBeGreaterThanOrEqual(2);
    expect(report.bytes).toBeLessThan(2 * 3 * 1024 * 1024);
  });

  it('works with basic auth, and names the registry when the credentials are wrong', async () => {
    const reg = await registry({ htpasswd: { user: 'alice', password: 's3cret' } });
    const ok = await runCli(['push', bundle, '--registry', reg.host, '--plain-http', '--username', 'alice', '--password-stdin', '--json'], {}, 's3cret\n');
    expect(ok.code, ok.stderr).toBe(0);
    const model = (JSON.parse(ok.stdout) as PushJson).references.find((x) => x.kind === 'model')!;
    expect(await rawDigest(model.reference, ['--creds', 'alice:s3cret'])).toBe(model.digest);

    const bad = await runCli(['push', bundle, '--registry', reg.host, '--plain-http', '--username', 'alice', '--password-stdin'], {}, 'wrong\n');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/REGISTRY_AUTH/);
    expect(bad.stderr).toContain(reg.host);
    expect(bad.stderr).not.toContain('wrong');
  });

  it('completes through connection resets and 5xx answers, and says what it retried', async () => {
    const reg = await registry();
    const proxy = await startFaultProxy(reg.host);
    try {
      proxy.failNext(2, 503, (q) => q.method === 'PUT');
      proxy.resetAfter(1024 * 1024, (q) => q.method === 'PUT' || q.method === 'PATCH');
      proxy.failNext(1, 500, (q) => q.method === 'HEAD');
      const r = await runCli(['push', bundle, '--registry', proxy.host, '--plain-http', '--json']);
      expect(r.code, r.stderr).toBe(0);
      const report = JSON.parse(r.stdout) as PushJson;
      expect(report.retries.length).toBeGreaterThanOrEqual(3);
      for (const ref of report.references) expect(await rawDigest(ref.reference.replace(proxy.host, reg.host))).toBe(ref.digest);
    } finally {
      await proxy.stop();
    }
  });

  it('creates a missing Harbor project through its REST API, and says so when not allowed to', async () => {
    const reg = await registry();
    const harbor = await startHarborEmulator(reg.host, { user: 'admin', password: 'Harbor12345' });
    try {
      const denied = await runCli(['push', bundle, '--registry', `${harbor.host}/airgap`, '--plain-http']);
      expect(denied.code).toBe(1);
      expect(denied.stderr).toMatch(/REGISTRY_AUTH/);
      expect(denied.stderr).toMatch(/project "airgap"/);
      expect(harbor.projects.has('airgap')).toBe(false);

      const ok = await runCli(['push', bundle, '--registry', `${harbor.host}/airgap`, '--plain-http', '--username', 'admin', '--password-stdin', '--json'], {}, 'Harbor12345\n');
      expect(ok.code, ok.stderr).toBe(0);
      expect(harbor.projects.has('airgap')).toBe(true);
      expect(harbor.apiCalls).toContain('POST /api/v2.0/projects');
      for (const ref of (JSON.parse(ok.stdout) as PushJson).references) expect(await rawDigest(ref.reference)).toBe(ref.digest);
    } finally {
      await harbor.stop();
    }
  });

  it('names an unreachable registry', async () => {
    const r = await runCli(['push', bundle, '--registry', '127.0.0.1:9', '--plain-http']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/REGISTRY_UNREACHABLE/);
    expect(r.stderr).toContain('127.0.0.1:9');
  });
});
