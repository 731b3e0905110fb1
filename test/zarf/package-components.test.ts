import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { startRegistry, type RunningRegistry } from '../support/registry.js';
import { useTempDirs } from '../support/temp-dir.js';
import { buildPackage, deploymentYaml } from './package-builder.js';
import { FIXTURE } from './zarf-fixture.js';

describe('bundle deploy --components (Zarf packages)', () => {
  const tempDir = useTempDirs();
  let registry: RunningRegistry;
  let pkg: string;
  let dir: string;
  beforeAll(async () => {
    registry = await startRegistry();
    dir = await mkdtemp(join(tmpdir(), 'airbundle-zarf-components-'));
    pkg = join(dir, 'zarf-package-demo-amd64-1.0.0.tar.zst');
    await buildPackage(pkg, [
      { name: 'base', required: true, manifests: { namespace: 'base', files: [deploymentYaml('base-app')] }, images: ['localhost/demo/app:1.0'] },
      { name: 'extra', manifests: { namespace: 'extra', files: [deploymentYaml('extra-app')] } },
      { name: 'more', manifests: { namespace: 'more', files: [deploymentYaml('more-app')] } },
    ]);
  });
  afterAll(async () => {
    await registry?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const deploy = async (out: string, ...extra: string[]) => runCli(['deploy', pkg, '--registry', registry.host, '--plain-http', '--allow-unsigned', '--render-only', out, ...extra]);

  it('deploys only required and default components without it, and reports the optional ones', async () => {
    const out = join(await tempDir(), 'out');
    const r = await deploy(out);
    expect(r.code, r.stderr).toBe(0);
    expect((await readdir(out)).sort()).toEqual(['00-namespace-base.yaml', '01-deployment-base-app.yaml']);
    expect(r.stdout).toMatch(/component extra: optional component \(neither required nor default\): not deployed/);
  });

  it('takes the optional components named, comma-separated', async () => {
    const out = join(await tempDir(), 'out');
    const r = await deploy(out, '--components', 'more, extra', '--json');
    expect(r.code, r.stderr).toBe(0);
    expect((JSON.parse(r.stdout) as { components: string[] }).components).toEqual(['base', 'extra', 'more']);
    expect((await readdir(out)).filter((f) => f.includes('deployment')).sort()).toEqual(['03-deployment-base-app.yaml', '04-deployment-extra-app.yaml', '05-deployment-more-app.yaml']);
  });

  it('refuses an unknown component name (USAGE, exit 2) listing the package\'s components, before pushing or writing anything', async () => {
    const out = join(await tempDir(), 'out');
    const r = await deploy(out, '--components', 'extra,nope');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--components names nope, which package demo does not hold; its components: base \(required\), extra, more/);
    await expect(readdir(out)).rejects.toThrow();
  });

  it('refuses --components for one of our own bundles', async () => {
    const r = await runCli(['deploy', join(await tempDir(), 'bundle.tar'), '--registry', registry.host, '--components', 'a', '--allow-unsigned', '--dry-run']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--components applies to Zarf packages only/);
    // A Zarf package still takes it (the fixture's only component is required).
    const ok = await runCli(['deploy', FIXTURE, '--registry', registry.host, '--components', 'test', '--allow-unsigned', '--dry-run']);
    expect(ok.code, ok.stderr).toBe(0);
  });
});
