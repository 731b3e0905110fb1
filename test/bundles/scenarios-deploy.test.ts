/**
 * Each scenario's README, run: `bundle keygen`, `bundle build bundle.yaml --sign`, `bundle deploy --key
 * --kubeconfig` (twice: the second changes nothing) and `bundle deploy --render-only`, against a real registry
 * and the Kubernetes API emulator. The bundles are offline variants of the ones in bundles/: the same deploy
 * section, hf:// sources served by the Hugging Face Hub emulator (same repo names), the ollama:// model pulled
 * from the test registry, and every image replaced by the demo image under the same name.
 */
import { cp, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256Digest } from '../../src/content/digest.js';
import { busyboxShell, type BusyboxShell } from '../support/busybox.js';
import { REPO, runCli, runTool } from '../support/cli.js';
import { startHfEmulator, type HfEmulator } from '../support/hf-emulator.js';
import { startK8sEmulator, writeKubeconfig, type RunningEmulator } from '../support/k8s-emulator.js';
import { makeOllamaModel, pushOllamaModel } from '../support/ollama-model.js';
import { startRegistry, type RunningRegistry } from '../support/registry.js';
import { hfRepoFiles, SCENARIOS } from './scenario-fixtures.js';

type Scenario = (typeof SCENARIOS)[number];
type Obj = Record<string, unknown>;

const ENV = { AIRBUNDLE_PASSPHRASE: 'pw' };
let work: string;
let reg: RunningRegistry;
let hub: HfEmulator;
let k8s: RunningEmulator;
let kubeconfig: string;
let sh: BusyboxShell;
const commits = new Map<string, string>();
const hfFiles = new Map<string, Record<string, Buffer>>();
let ollamaDigest: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'airbundle-scenarios-'));
  reg = await startRegistry();
  hub = await startHfEmulator();
  for (const repo of ['Qwen/Qwen2.5-0.5B-Instruct', 'Qwen/Qwen2.5-1.5B-Instruct']) {
    const files = hfRepoFiles(repo);
    hfFiles.set(repo, files);
    commits.set(repo, hub.addCommit(repo, { files }).sha);
  }
  const ollama = makeOllamaModel(64 * 1024);
  ollamaDigest = ollama.manifest.digest;
  await pushOllamaModel(reg.host, 'library/llama3.2', '1b', ollama);
  k8s = await startK8sEmulator();
  kubeconfig = await writeKubeconfig(work, k8s);
  sh = await busyboxShell();
  expect((await runCli(['keygen', '--out', join(work, 'publisher')], ENV)).code).toBe(0);
});

afterAll(async () => {
  await k8s?.stop();
  await hub?.close();
  await reg?.stop();
  await rm(work, { recursive: true, force: true });
});

/** offlineVariant copies a scenario and points its sources at the emulators, keeping every name. */
async function offlineVariant(scenario: Scenario): Promise<string> {
  const dir = join(work, scenario);
  await cp(join(REPO, 'bundles', scenario), dir, { recursive: true });
  await cp(join(REPO, 'bundles', 'demo', 'images', 'hello'), join(dir, 'images', 'hello'), { recursive: true });
  const spec = parse(await readFile(join(dir, 'bundle.yaml'), 'utf8')) as { models: Array<{ source: string }>; images: Array<{ source: string; name?: string }> };
  for (const m of spec.models) m.source = m.source.replace(/^ollama:\/\//, `ollama://${reg.host}/`);
  spec.images = spec.images.map((i) => ({ source: 'oci-layout:./images/hello:v1', name: i.name ?? i.source }));
  await writeFile(join(dir, 'bundle.yaml'), stringify(spec));
  return dir;
}

/** The README's commands: build (signed) on the "connected" side, deploy twice, render for GitOps. */
async function readme(scenario: Scenario, set: string[] = []): Promise<{ first: Obj; second: Obj; rendered: string[]; bundle: string }> {
  const dir = await offlineVariant(scenario);
  const bundle = join(work, `${scenario}.tar.zst`);
  const built = await runCli(['build', join(dir, 'bundle.yaml'), '--out', bundle, '--cache', join(work, 'cache'), '--sign', join(work, 'publisher.key'), '--plain-http'], { ...ENV, HF_ENDPOINT: hub.url });
  expect(built.code, built.stderr).toBe(0);
  const deploy = (...extra: string[]) => runCli(['deploy', bundle, '--registry', reg.host, '--plain-http', '--key', join(work, 'publisher.pub'), ...set.flatMap((s) => ['--set', s]), '--json', ...extra]);
  const first = await deploy('--kubeconfig', kubeconfig);
  expect(first.code, first.stderr).toBe(0);
  const second = await deploy('--kubeconfig', kubeconfig);
  expect(second.code, second.stderr).toBe(0);
  const out = join(work, `${scenario}-out`);
  const render = await deploy('--render-only', out);
  expect(render.code, render.stderr).toBe(0);
  const rendered = (await readdir(out)).sort();
  for (const f of rendered) expect(parse(await readFile(join(out, f), 'utf8'))).toHaveProperty('kind');
  return { first: JSON.parse(first.stdout) as Obj, second: JSON.parse(second.stdout) as Obj, rendered, bundle };
}

function at(o: unknown, ...path: Array<string | number>): unknown {
  return path.reduce<unknown>((v, k) => (v as Record<string | number, unknown> | undefined)?.[k], o);
}

const changed = (report: Obj): unknown[] => (report.objects as Array<{ action: string }>).filter((o) => o.action !== 'unchanged');
const inspectRaw = async (ref: string): Promise<Obj> => {
  const r = await runTool('skopeo', ['inspect', '--raw', '--tls-verify=false', `docker://${ref}`]);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as Obj;
};

/** fill runs the volume's pull Job script (from the emulator's ConfigMap) with busybox against the registry. */
async function fill(namespace: string, volume: string): Promise<string> {
  const cm = k8s.emulator.object('v1', 'ConfigMap', namespace, `${volume}-fill`);
  const script = join(work, `${namespace}-${volume}.sh`);
  await writeFile(script, String(at(cm, 'data', 'pull.sh')));
  const target = join(work, `${namespace}-${volume}-pvc`);
  await mkdir(target, { recursive: true });
  for (let i = 0; i < 2; i++) {
    const run = await sh.run([script, target]);
    expect(run.code, run.stderr).toBe(0);
  }
  return target;
}

describe("the seed scenarios' READMEs, against a registry and the Kubernetes API emulator", () => {
  it('000: Ollama with the model from the in-cluster registry', async () => {
    const { first, second, rendered } = await readme('000-ollama-registry');
    expect(changed(first).length).toBeGreaterThan(0);
    expect(changed(second)).toEqual([]);
    expect(rendered).toEqual(['00-namespace-ollama.yaml', '01-deployment-ollama.yaml', '02-service-ollama.yaml']);
    const deployment = k8s.emulator.object('apps/v1', 'Deployment', 'ollama', 'ollama');
    expect(at(deployment, 'spec', 'template', 'spec', 'initContainers', 0, 'command', 2)).toContain(`ollama pull --insecure ${reg.host}/models/llama3.2:1b`);
    // What the init container pulls is there, byte for byte the model Ollama's registry served.
    const r = await runTool('skopeo', ['inspect', '--raw', '--tls-verify=false', `docker://${reg.host}/models/llama3.2:1b`]);
    expect(sha256Digest(r.stdout)).toBe(ollamaDigest);
  });

  it('001: pre-pull DaemonSet on GPU nodes', async () => {
    const { second } = await readme('001-gpu-prepull');
    expect(changed(second)).toEqual([]);
    const pod = at(k8s.emulator.object('apps/v1', 'DaemonSet', 'gpu-prepull', 'warm-gpu-nodes'), 'spec', 'template', 'spec');
    expect(at(pod, 'nodeSelector')).toEqual({ 'nvidia.com/gpu.present': 'true' });
    for (const ref of [at(pod, 'initContainers', 0, 'image'), at(pod, 'volumes', 0, 'image', 'reference')]) await inspectRaw(String(ref));
    expect(at(await inspectRaw(String(at(pod, 'volumes', 0, 'image', 'reference'))), 'artifactType')).toBe('application/vnd.cncf.model.manifest.v1+json');
  });

  it('002: vLLM on a PVC (filled in-cluster) and via ImageVolume', async () => {
    const { second } = await readme('002-vllm-pvc-imagevolume');
    expect(changed(second)).toEqual([]);
    const commit = commits.get('Qwen/Qwen2.5-0.5B-Instruct')!;
    const pvc = await fill('vllm', 'qwen-cache');
    const snapshot = join(pvc, 'models--Qwen--Qwen2.5-0.5B-Instruct', 'snapshots', commit);
    for (const [path, bytes] of Object.entries(hfFiles.get('Qwen/Qwen2.5-0.5B-Instruct')!)) expect((await readFile(join(snapshot, path))).equals(bytes), path).toBe(true);
    const pod = at(k8s.emulator.object('apps/v1', 'Deployment', 'vllm', 'qwen-pvc'), 'spec', 'template', 'spec');
    expect(at(pod, 'initContainers', 0, 'command', 2)).toContain(`= "${(await readFile(join(pvc, '.done'), 'utf8')).trim()}"`);
    expect(at(pod, 'containers', 0, 'args', 1)).toBe(`/models-cache/models--Qwen--Qwen2.5-0.5B-Instruct/snapshots/${commit}`);
    await inspectRaw(String(at(k8s.emulator.object('apps/v1', 'Deployment', 'vllm', 'qwen-imagevolume'), 'spec', 'template', 'spec', 'volumes', 0, 'image', 'reference')));
  });

  it('003: Hugging Face → modelcar → registry → KServe, with provenance', async () => {
    const { first, second, bundle } = await readme('003-hf-modelcar-kserve');
    const commit = commits.get('Qwen/Qwen2.5-0.5B-Instruct')!;
    expect(at(first, 'modelcars', 0)).toMatchObject({ model: 'qwen2.5-0.5b-instruct', action: 'built' });
    // The re-deploy finds the modelcar in the registry by its key and does not read the model again.
    expect(at(second, 'modelcars', 0)).toMatchObject({ action: 'reused', digest: at(first, 'modelcars', 0, 'digest') });
    expect(changed(second)).toEqual([]);
    const isvc = k8s.emulator.object('serving.kserve.io/v1beta1', 'InferenceService', 'kserve-models', 'qwen');
    const uri = String(at(isvc, 'spec', 'predictor', 'model', 'storageUri'));
    expect(uri).toBe(`oci://${reg.host}/modelcars/qwen2.5-0.5b-instruct@${String(at(first, 'modelcars', 0, 'digest'))}`);
    const manifest = await inspectRaw(uri.slice('oci://'.length));
    expect(at(manifest, 'annotations', 'org.opencontainers.image.revision')).toBe(commit);
    expect(at(manifest, 'annotations', 'org.opencontainers.image.source')).toBe(`${hub.url}/Qwen/Qwen2.5-0.5B-Instruct`);
    const cm = k8s.emulator.object('v1', 'ConfigMap', 'kserve-models', 'qwen-modelcar');
    expect(at(cm, 'data', 'storageUri')).toBe(uri);
    expect(JSON.parse(String(at(cm, 'data', 'provenance.json')))).toMatchObject({ model: { source: 'hf://Qwen/Qwen2.5-0.5B-Instruct', provenance: { type: 'hf', revision: commit } } });
    expect(k8s.emulator.object('serving.kserve.io/v1alpha1', 'ServingRuntime', 'kserve-models', 'vllm-runtime')).toBeDefined();
    // --dry-run says what it would build, by tag, and reads no model byte.
    const plan = await runCli(['deploy', bundle, '--registry', reg.host, '--plain-http', '--key', join(work, 'publisher.pub'), '--dry-run', '--json']);
    expect(plan.code, plan.stderr).toBe(0);
    expect(at(JSON.parse(plan.stdout), 'modelcars', 0)).toEqual({ model: 'qwen2.5-0.5b-instruct', tag: `${reg.host}/modelcars/qwen2.5-0.5b-instruct:1.0.0`, action: 'would build' });
  });

  it('004: one shared ReadWriteMany cache with checksums and a .done marker, used by several workloads', async () => {
    const { second } = await readme('004-shared-model-cache', ['STORAGE_CLASS=nfs-client']);
    expect(changed(second)).toEqual([]);
    const claim = k8s.emulator.object('v1', 'PersistentVolumeClaim', 'shared-cache', 'model-cache');
    expect(at(claim, 'spec', 'accessModes')).toEqual(['ReadWriteMany']);
    const pvc = await fill('shared-cache', 'model-cache');
    const checksums = JSON.parse(await readFile(join(pvc, '.airbundle-materialized.json'), 'utf8')) as { files: Array<{ path: string; digest: string; size: number }> };
    for (const f of checksums.files) expect(sha256Digest(await readFile(join(pvc, f.path))), f.path).toBe(f.digest);
    const done = (await readFile(join(pvc, '.done'), 'utf8')).trim();
    expect(done).toBe(sha256Digest(await readFile(join(pvc, '.airbundle-materialized.json'))));
    for (const name of ['chat', 'batch']) {
      const pod = at(k8s.emulator.object('apps/v1', 'Deployment', 'shared-cache', name), 'spec', 'template', 'spec');
      expect(at(pod, 'volumes', 0, 'persistentVolumeClaim', 'claimName')).toBe('model-cache');
      expect(at(pod, 'initContainers', 0, 'command', 2)).toContain(`= "${done}"`);
    }
    expect(at(k8s.emulator.object('serving.kserve.io/v1beta1', 'InferenceService', 'shared-cache', 'chat-kserve'), 'spec', 'predictor', 'model', 'storageUri')).toMatch(/^pvc:\/\/model-cache\/models--Qwen--Qwen2\.5-1\.5B-Instruct\/snapshots\//);
  });
});
