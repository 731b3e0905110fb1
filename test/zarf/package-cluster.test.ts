import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { startK8sEmulator, writeKubeconfig, type RunningEmulator } from '../support/k8s-emulator.js';
import { startRegistry, type RunningRegistry } from '../support/registry.js';
import { FIXTURE_DIGEST, repackFixture } from './zarf-fixture.js';

interface Report {
  objects: Array<{ id: string; action: string }>;
  push: { images: Array<{ checksummed: string }> };
}

describe('bundle deploy of a Zarf package against a Kubernetes API', () => {
  let work: string;
  let reg: RunningRegistry;
  let k8s: RunningEmulator;
  let kubeconfig: string;
  let pkg: string;
  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'airbundle-zarf-k8s-'));
    reg = await startRegistry();
    k8s = await startK8sEmulator();
    kubeconfig = await writeKubeconfig(work, k8s);
    pkg = join(work, 'zarf-package-test-amd64-0.0.1.tar.zst');
    await repackFixture(pkg);
  });
  afterAll(async () => {
    await k8s?.stop();
    await reg?.stop();
    if (work !== undefined) await rm(work, { recursive: true, force: true });
  });

  it('applies the namespace and the deployment with the pushed image, and a rerun changes nothing', async () => {
    const deploy = () => runCli(['deploy', pkg, '--registry', reg.host, '--plain-http', '--allow-unsigned', '--kubeconfig', kubeconfig, '--json']);
    const first = await deploy();
    expect(first.code, first.stderr).toBe(0);
    const report = JSON.parse(first.stdout) as Report;
    expect(report.objects.map((o) => o.id)).toEqual(['Namespace/nginx', 'Deployment/nginx/nginx-deployment']);
    const applied = k8s.emulator.object('apps/v1', 'Deployment', 'nginx', 'nginx-deployment') as { spec: { template: { spec: { containers: Array<{ image: string }> } } } } | undefined;
    expect(applied?.spec.template.spec.containers[0]?.image).toBe(`${report.push.images[0]!.checksummed}@${FIXTURE_DIGEST}`);
    const again = await deploy();
    expect(again.code, again.stderr).toBe(0);
    expect((JSON.parse(again.stdout) as Report).objects.filter((o) => o.action !== 'unchanged')).toEqual([]);
  });
});
