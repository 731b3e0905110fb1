import { readFile, readdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO, runCli, runTool } from '../support/cli.js';
import { startRegistry, type RunningRegistry } from '../support/registry.js';

const ENV = { AIRBUNDLE_PASSPHRASE: 'pw' };
let work: string;
let reg: RunningRegistry;
let bundle: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'airbundle-deploy-'));
  reg = await startRegistry();
  for (const k of ['pub', 'other']) expect((await runCli(['keygen', '--out', join(work, k)], ENV)).code).toBe(0);
  bundle = join(work, 'demo.tar.zst');
  const built = await runCli(['build', join(REPO, 'bundles', 'demo', 'bundle.yaml'), '--out', bundle, '--cache', join(work, 'cache'), '--sign', join(work, 'pub.key')], ENV);
  expect(built.code, built.stderr).toBe(0);
});

afterAll(async () => {
  await reg.stop();
  await rm(work, { recursive: true, force: true });
});

function images(node: unknown, out: string[] = []): string[] {
  if (Array.isArray(node)) node.forEach((n) => images(n, out));
  else if (node !== null && typeof node === 'object') {
    for (const [k, v] of Object.entries(node)) {
      if (k === 'image' && typeof v === 'string') out.push(v);
      else if (k === 'reference' && typeof v === 'string') out.push(v);
      else images(v, out);
    }
  }
  return out;
}

describe('bundle deploy --render-only', () => {
  it('pushes, then writes valid YAML whose every image is in the registry by digest', async () => {
    const out = join(work, 'out');
    const r = await runCli(['deploy', bundle, '--registry', reg.host, '--plain-http', '--key', join(work, 'pub.pub'), '--render-only', out, '--set', 'REPLICAS=3', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const files = (await readdir(out)).sort();
    expect(files).toEqual(['00-namespace-demo.yaml', '01-inferenceservice-tiny-llm.yaml', '02-deployment-hello.yaml']);
    const objects = await Promise.all(files.map(async (f) => parse(await readFile(join(out, f), 'utf8')) as Record<string, unknown>));
    const deployment = objects[2] as { spec: { replicas: number } };
    expect(deployment.spec.replicas).toBe(3);
    const isvc = objects[1] as { spec: { predictor: { model: { storageUri: string } } } };
    expect(isvc.spec.predictor.model.storageUri).toMatch(/^oci:\/\//);
    const refs = [...images(objects), isvc.spec.predictor.model.storageUri.slice('oci://'.length)];
    expect(refs.length).toBeGreaterThan(0);
    for (const ref of refs) {
      expect(ref).toMatch(new RegExp(`^${reg.host.replace(/\./g, '\\.')}/.+@sha256:[0-9a-f]{64}$`));
      const inspect = await runTool('skopeo', ['inspect', '--raw', '--tls-verify=false', `docker://${ref}`]);
      expect(inspect.code, inspect.stderr).toBe(0);
    }
  });

  it('refuses a bundle signed by another key before anything is pushed', async () => {
    const fresh = await startRegistry();
    try {
      const r = await runCli(['deploy', bundle, '--registry', fresh.host, '--plain-http', '--key', join(work, 'other.pub'), '--render-only', join(work, 'never')]);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/SIGNATURE_INVALID/);
      const catalog = (await (await fetch(`http://${fresh.host}/v2/_catalog`)).json()) as { repositories: string[] };
      expect(catalog.repositories).toEqual([]);
      const unsigned = await runCli(['deploy', bundle, '--registry', fresh.host, '--plain-http', '--render-only', join(work, 'never')]);
      expect(unsigned.code).toBe(1);
      expect(unsigned.stderr).toMatch(/SIGNATURE_MISSING.*no --key/);
    } finally {
      await fresh.stop();
    }
  });

  it('checks values before anything is touched, and --dry-run prints the plan', async () => {
    const bad = await runCli(['deploy', bundle, '--registry', reg.host, '--plain-http', '--key', join(work, 'pub.pub'), '--dry-run', '--set', 'REPLICAS=many', '--set', 'NOPE=1']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/VALUES_INVALID/);
    expect(bad.stderr).toMatch(/"NOPE" is not a variable/);
    expect(bad.stderr).toMatch(/"REPLICAS" = "many" does not match/);
    const plan = await runCli(['deploy', bundle, '--registry', reg.host, '--plain-http', '--key', join(work, 'pub.pub'), '--dry-run']);
    expect(plan.code, plan.stderr).toBe(0);
    expect(plan.stdout).toMatch(/would apply\s+Deployment\/demo\/hello/);
  });
});

describe('bundle deploy --render-only with a model volume filled in-cluster', () => {
  it('renders a PVC, a pull Job and its script; the script, run by busybox against the registry, lays out what materialize does', async () => {
    const { writeFixtureSpec } = await import('../support/fixture-bundle.js');
    const { busyboxShell } = await import('../support/busybox.js');
    const { writeFile } = await import('node:fs/promises');
    const dir = join(work, 'vol');
    const fx = await writeFixtureSpec(dir, { bigSize: 1024 * 1024 + 5 });
    await writeFile(
      fx.spec,
      `${await readFile(fx.spec, 'utf8')}deploy:\n  namespace: ai\n  loaderImage: demo/hello:v1\n  volumes:\n    - {name: big-cache, model: big, layout: hf-cache, transport: pull}\n  workloads:\n    - {generator: kserve, name: big, model: big, volume: big-cache}\n`,
    );
    const b = join(dir, 'v.tar');
    expect((await runCli(['build', fx.spec, '--out', b, '--cache', join(work, 'cache')])).code).toBe(0);
    const out = join(dir, 'out');
    const r = await runCli(['deploy', b, '--registry', reg.host, '--plain-http', '--allow-unsigned', '--render-only', out]);
    expect(r.code, r.stderr).toBe(0);
    const files = (await readdir(out)).sort();
    expect(files).toEqual(['00-namespace-ai.yaml', '01-persistentvolumeclaim-big-cache.yaml', '02-configmap-big-cache-fill.yaml', '03-job-big-cache-fill.yaml', '04-inferenceservice-big.yaml']);
    const cm = parse(await readFile(join(out, files[2]!), 'utf8')) as { data: { 'pull.sh': string } };
    const script = join(dir, 'pull.sh');
    await writeFile(script, cm.data['pull.sh']);
    const sh = await busyboxShell();
    const target = join(dir, 'pvc');
    const run = await sh.run([script, target]);
    expect(run.code, run.stderr).toBe(0);
    const local = join(dir, 'local');
    expect((await runCli(['materialize', b, '--model', 'big', '--layout', 'hf-cache', '--to', local])).code).toBe(0);
    const list = async (root: string): Promise<string[]> => (await readdir(root, { recursive: true })).map(String).sort();
    expect(await list(target)).toEqual(await list(local));
    const isvc = parse(await readFile(join(out, files[4]!), 'utf8')) as { spec: { predictor: { model: { storageUri: string } } } };
    const snapshot = isvc.spec.predictor.model.storageUri.replace('pvc://big-cache/', '');
    expect((await readFile(join(target, snapshot, 'model.safetensors'))).equals(fx.bigFile)).toBe(true);
  });
});
