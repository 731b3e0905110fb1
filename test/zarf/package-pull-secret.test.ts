import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { runCli } from '../support/cli.js';
import { startRegistry, type RunningRegistry } from '../support/registry.js';
import { buildPackage, deploymentYaml } from './package-builder.js';

const USER = 'zarf-push';
const PASSWORD = 'pw-pull-secret-test';

interface Obj {
  kind: string;
  type?: string;
  metadata: { name: string; namespace?: string };
  data?: Record<string, string>;
  spec?: { template?: { spec?: { imagePullSecrets?: Array<{ name: string }> } } };
}

/** readRendered reads every rendered file as one object. */
async function readRendered(dir: string): Promise<Array<{ file: string; obj: Obj }>> {
  return Promise.all((await readdir(dir)).sort().map(async (file) => ({ file, obj: parse(await readFile(join(dir, file), 'utf8')) as Obj })));
}

describe('bundle deploy of a Zarf package with registry credentials: the private-registry pull Secret', () => {
  let registry: RunningRegistry;
  let dir: string;
  let pkg: string;
  let noDocker: string;
  beforeAll(async () => {
    registry = await startRegistry({ htpasswd: { user: USER, password: PASSWORD } });
    dir = await mkdtemp(join(tmpdir(), 'airbundle-zarf-pull-secret-'));
    noDocker = join(dir, 'no-docker');
    pkg = join(dir, 'zarf-package-demo-amd64-1.0.0.tar.zst');
    await buildPackage(pkg, [
      { name: 'web', required: true, manifests: { namespace: 'web', files: [deploymentYaml('web')] }, images: ['localhost/demo/app:1.0'] },
      { name: 'jobs', required: true, manifests: { namespace: 'jobs', files: [deploymentYaml('worker', undefined, 'docker.io/library/busybox:1.37'), 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  a: b\n'] } },
    ]);
  });
  afterAll(async () => {
    await registry?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('renders private-registry in every namespace and adds it to the pod specs pulling from the registry', async () => {
    const out = join(dir, 'with-creds');
    const r = await runCli(['deploy', pkg, '--registry', `${registry.host}/zarf`, '--plain-http', '--username', USER, '--password-stdin', '--allow-unsigned', '--render-only', out], { DOCKER_CONFIG: noDocker }, `${PASSWORD}\n`);
    expect(r.code, r.stderr).toBe(0);
    const objs = await readRendered(out);
    expect(objs.map((o) => o.file)).toEqual([
      '00-namespace-web.yaml',
      '01-namespace-jobs.yaml',
      '02-secret-private-registry.yaml',
      '03-secret-private-registry.yaml',
      '04-deployment-web.yaml',
      '05-deployment-worker.yaml',
      '06-configmap-settings.yaml',
    ]);
    expect(objs.filter((o) => o.obj.kind === 'Secret').map((o) => o.obj.metadata.namespace)).toEqual(['web', 'jobs']);
    for (const { obj } of objs.filter((o) => o.obj.kind === 'Secret')) {
      expect(obj.type).toBe('kubernetes.io/dockerconfigjson');
      const config = JSON.parse(Buffer.from(obj.data!['.dockerconfigjson']!, 'base64').toString('utf8')) as { auths: Record<string, { username: string; password: string; auth: string }> };
      expect(Object.keys(config.auths)).toEqual([registry.host]);
      expect(Buffer.from(config.auths[registry.host]!.auth, 'base64').toString('utf8')).toBe(`${USER}:${PASSWORD}`);
    }
    const byName = new Map(objs.filter((o) => o.obj.kind === 'Deployment').map((o) => [o.obj.metadata.name, o.obj]));
    expect(byName.get('web')!.spec!.template!.spec!.imagePullSecrets).toEqual([{ name: 'private-registry' }]);
    // The worker's image is not in the package, so not in the registry: its pod spec is left alone.
    expect(byName.get('worker')!.spec!.template!.spec!.imagePullSecrets).toBeUndefined();
  });

  it('takes the credentials from Docker\'s config.json when no --username is given', async () => {
    const docker = join(dir, 'docker');
    await mkdir(docker, { recursive: true });
    await writeFile(join(docker, 'config.json'), JSON.stringify({ auths: { [registry.host]: { auth: Buffer.from(`${USER}:${PASSWORD}`).toString('base64') } } }));
    const out = join(dir, 'from-config');
    const r = await runCli(['deploy', pkg, '--registry', registry.host, '--plain-http', '--allow-unsigned', '--render-only', out], { DOCKER_CONFIG: docker });
    expect(r.code, r.stderr).toBe(0);
    expect((await readRendered(out)).filter((o) => o.obj.kind === 'Secret').map((o) => `${o.obj.metadata.namespace}/${o.obj.metadata.name}`)).toEqual(['web/private-registry', 'jobs/private-registry']);
  });

  it('renders no Secret and no imagePullSecrets when the registry needs no credentials', async () => {
    const open = await startRegistry();
    try {
      const out = join(dir, 'no-creds');
      const r = await runCli(['deploy', pkg, '--registry', open.host, '--plain-http', '--allow-unsigned', '--render-only', out], { DOCKER_CONFIG: noDocker });
      expect(r.code, r.stderr).toBe(0);
      const objs = await readRendered(out);
      expect(objs.filter((o) => o.obj.kind === 'Secret')).toEqual([]);
      expect(objs.find((o) => o.obj.kind === 'Deployment' && o.obj.metadata.name === 'web')!.obj.spec!.template!.spec!.imagePullSecrets).toBeUndefined();
    } finally {
      await open.stop();
    }
  });
});
