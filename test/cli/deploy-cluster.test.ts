import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { writeFixtureSpec } from '../support/fixture-bundle.js';
import { startK8sEmulator, writeKubeconfig, type RunningEmulator } from '../support/k8s-emulator.js';
import { startRegistry, type RunningRegistry } from '../support/registry.js';

let work: string;
let reg: RunningRegistry;
let k8s: RunningEmulator;
let kubeconfig: string;
let bundle: string;
let pvc: string;

interface Report {
  objects: Array<{ id: string; action: string }>;
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'airbundle-deploy-k8s-'));
  reg = await startRegistry();
  pvc = join(work, 'pvc');
  await mkdir(pvc);
  k8s = await startK8sEmulator({ exec: { mounts: { '/data': pvc } } });
  kubeconfig = await writeKubeconfig(work, k8s);
  const fx = await writeFixtureSpec(join(work, 'spec'), { bigSize: 1024 * 1024 + 7 });
  await writeFile(
    fx.spec,
    `${await readFile(fx.spec, 'utf8')}deploy:
  namespace: ai
  loaderImage: demo/hello:v1
  volumes:
    - {name: big-cache, model: big, layout: hf-cache, transport: stream}
  workloads:
    - {generator: kserve, name: big, model: big, volume: big-cache}
`,
  );
  bundle = join(work, 'b.tar.zst');
  const built = await runCli(['build', fx.spec, '--out', bundle, '--cache', join(work, 'cache')]);
  expect(built.code, built.stderr).toBe(0);
});

afterAll(async () => {
  await k8s.stop();
  await reg.stop();
  await rm(work, { recursive: true, force: true });
});

const deploy = (...extra: string[]) => runCli(['deploy', bundle, '--registry', reg.host, '--plain-http', '--allow-unsigned', '--kubeconfig', kubeconfig, '--json', ...extra]);

describe('bundle deploy against a Kubernetes API', () => {
  it('fails half way with a clear message, a rerun finishes, and a third run changes nothing', async () => {
    k8s.emulator.deny({ verb: 'patch', resource: 'inferenceservices' });
    const failed = await deploy();
    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(/K8S_DENIED/);
    expect(failed.stderr).toMatch(/inferenceservice/i);

    k8s.emulator.allowAll();
    const ok = await deploy();
    expect(ok.code, ok.stderr).toBe(0);
    const report = JSON.parse(ok.stdout) as Report;
    expect(report.objects.map((o) => o.id)).toContain('InferenceService/ai/big');
    expect(k8s.emulator.object('v1', 'PersistentVolumeClaim', 'ai', 'big-cache')).toBeDefined();
    expect(k8s.emulator.object('v1', 'Pod', 'ai', 'big-cache-loader')).toBeUndefined();

    // The volume was filled over exec from the bundle: the same files as bundle materialize writes.
    const local = join(work, 'local');
    expect((await runCli(['materialize', bundle, '--model', 'big', '--layout', 'hf-cache', '--to', local])).code).toBe(0);
    const list = async (root: string): Promise<string[]> => (await readdir(root, { recursive: true })).map(String).sort();
    expect(await list(pvc)).toEqual(await list(local));

    const again = await deploy();
    expect(again.code, again.stderr).toBe(0);
    const second = JSON.parse(again.stdout) as Report;
    expect(second.objects.filter((o) => o.action !== 'unchanged')).toEqual([]);
  });
});
