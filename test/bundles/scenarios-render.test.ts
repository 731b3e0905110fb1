import { describe, expect, it } from 'vitest';
import { sha256Digest } from '../../src/content/digest.js';
import type { KubeObject } from '../../src/deploy/kube-object.js';
import { validateObjects } from '../../src/deploy/validate-objects.js';
import { MODELCAR_BUILDER } from '../../src/modelcar/index.js';
import { targetFor } from '../../src/targets/name-mapping.js';
import { renderScenario, scenarioSpec, SCENARIOS } from './scenario-fixtures.js';

const REG = 'registry.airgap.local:5000';
const BY_DIGEST = new RegExp(`^${REG.replace(/\./g, '\\.')}/[a-z0-9._/-]+@sha256:[0-9a-f]{64}$`);

/** at reads a nested value of a rendered object (tests only look, never trust the shape). */
function at(o: unknown, ...path: Array<string | number>): unknown {
  return path.reduce<unknown>((v, k) => (v as Record<string | number, unknown> | undefined)?.[k], o);
}

/** images lists every image reference of the objects: containers, init containers, ImageVolumes. */
function images(node: unknown, out: string[] = []): string[] {
  if (Array.isArray(node)) node.forEach((n) => images(n, out));
  else if (node !== null && typeof node === 'object') {
    for (const [k, v] of Object.entries(node)) {
      if ((k === 'image' || k === 'reference') && typeof v === 'string') out.push(v);
      else images(v, out);
    }
  }
  return out;
}

const byId = (objects: KubeObject[]): Map<string, KubeObject> => new Map(objects.map((o) => [`${o.kind}/${o.metadata.name}`, o]));
const podOf = (o: KubeObject | undefined): unknown => at(o, 'spec', 'template', 'spec');

describe('the seed scenarios in bundles/', () => {
  it.each(SCENARIOS)('%s renders valid objects whose every image is in the in-cluster registry by digest', async (scenario) => {
    const r = await renderScenario(scenarioSpec(scenario), { set: scenario.startsWith('004') ? { STORAGE_CLASS: 'nfs-client' } : {} });
    validateObjects(r.objects);
    expect(r.objects[0]!.kind).toBe('Namespace');
    const refs = images(r.objects);
    expect(refs.length).toBeGreaterThan(0);
    for (const ref of refs) expect(ref).toMatch(BY_DIGEST);
    for (const o of r.objects) if (o.kind !== 'Namespace') expect(o.metadata.namespace).toBe(r.namespace);
  });

  it('000: Ollama pulls the model from the in-cluster registry in an init container (storage oci), no volume', async () => {
    const r = await renderScenario(scenarioSpec('000-ollama-registry'), { set: { REPLICAS: '2' }, credentials: { username: 'u', password: 'p' } });
    const objects = byId(r.objects);
    const model = r.bundle.manifest.artifacts.find((a) => a.kind === 'model')!;
    expect(model).toMatchObject({ ref: 'models/llama3.2:1b', provenance: { type: 'ollama', details: { host: 'registry.ollama.ai', namespace: 'library', model: 'llama3.2', tag: '1b' } } });
    expect(targetFor(model.ref).repository).toBe('models/llama3.2');
    const deployment = objects.get('Deployment/ollama');
    expect(at(deployment, 'spec', 'replicas')).toBe(2);
    const init = at(podOf(deployment), 'initContainers', 0) as { name: string; image: string; command: string[]; volumeMounts: unknown[] };
    expect(init.name).toBe('pull-model');
    expect(init.image).toBe(at(podOf(deployment), 'containers', 0, 'image'));
    expect(init.command[2]).toContain(`ollama pull --insecure ${REG}/models/llama3.2:1b && ollama cp ${REG}/models/llama3.2:1b llama3.2:1b`);
    expect(at(podOf(deployment), 'volumes')).toEqual([{ name: 'models', emptyDir: {} }]);
    expect(at(podOf(deployment), 'containers', 0, 'env')).toContainEqual({ name: 'OLLAMA_MODELS', value: '/models' });
    expect(at(podOf(deployment), 'imagePullSecrets')).toEqual([{ name: 'airbundle-registry' }]);
    expect(at(objects.get('Service/ollama'), 'spec', 'ports', 0, 'port')).toBe(11434);
    expect(r.objects.some((o) => o.kind === 'PersistentVolumeClaim')).toBe(false);
  });

  it('001: a DaemonSet on GPU nodes pre-pulls the vLLM image and the model (as an ImageVolume)', async () => {
    const r = await renderScenario(scenarioSpec('001-gpu-prepull'));
    expect(r.objects.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual(['Namespace/gpu-prepull', 'DaemonSet/warm-gpu-nodes']);
    const pod = podOf(byId(r.objects).get('DaemonSet/warm-gpu-nodes'));
    const vllm = r.bundle.manifest.artifacts.find((a) => a.name === 'docker.io/vllm/vllm-openai:v0.6.3')!;
    const model = r.bundle.manifest.artifacts.find((a) => a.kind === 'model')!;
    expect(at(pod, 'nodeSelector')).toEqual({ 'nvidia.com/gpu.present': 'true' });
    expect(at(pod, 'tolerations')).toEqual([{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }]);
    expect(at(pod, 'initContainers', 0)).toMatchObject({ image: `${REG}/vllm/vllm-openai@${vllm.root.digest}`, imagePullPolicy: 'IfNotPresent', command: ['sh', '-c', 'exit 0'] });
    expect(at(pod, 'volumes', 0, 'image', 'reference')).toBe(`${REG}/models/qwen2.5-0.5b-instruct@${model.root.digest}`);
    expect(at(pod, 'containers', 0, 'image')).toMatch(new RegExp(`^${REG}/library/busybox@`));
  });

  it('002: vLLM from a PVC in hf-cache layout (filled in-cluster, waited for) and the same from an ImageVolume', async () => {
    const r = await renderScenario(scenarioSpec('002-vllm-pvc-imagevolume'));
    const objects = byId(r.objects);
    const model = r.bundle.manifest.artifacts.find((a) => a.kind === 'model')!;
    const plan = r.volumePlans.get('qwen-cache')!;
    expect(at(objects.get('PersistentVolumeClaim/qwen-cache'), 'metadata', 'annotations')).toMatchObject({ 'airbundle.dev/layout': 'hf-cache', 'airbundle.dev/model-digest': model.root.digest });
    expect(at(objects.get('PersistentVolumeClaim/qwen-cache'), 'spec', 'resources', 'requests', 'storage')).toBe('5Gi');
    expect(objects.get('Job/qwen-cache-fill')).toBeDefined();
    const script = at(objects.get('ConfigMap/qwen-cache-fill'), 'data', 'pull.sh') as string;
    expect(script).toContain(`https://${REG}/v2/models/qwen2.5-0.5b-instruct/blobs`);

    const pvc = podOf(objects.get('Deployment/qwen-pvc'));
    const snapshot = `/models-cache/models--Qwen--Qwen2.5-0.5B-Instruct/snapshots/${model.provenance.revision}`;
    expect((at(pvc, 'containers', 0, 'args') as string[]).slice(0, 2)).toEqual(['--model', snapshot]);
    expect(at(pvc, 'containers', 0, 'env')).toContainEqual({ name: 'HF_HUB_OFFLINE', value: '1' });
    expect(at(pvc, 'containers', 0, 'resources', 'limits', 'nvidia.com/gpu')).toBe('1');
    expect(at(pvc, 'volumes', 0)).toEqual({ name: 'model', persistentVolumeClaim: { claimName: 'qwen-cache', readOnly: true } });
    expect(at(pvc, 'initContainers', 0, 'command', 2)).toContain(`= "${plan.done.toString().trim()}"`);
    expect(plan.files.map((f) => f.path)).toContain(`models--Qwen--Qwen2.5-0.5B-Instruct/snapshots/${model.provenance.revision}/model.safetensors`);

    const iv = podOf(objects.get('Deployment/qwen-imagevolume'));
    expect(at(iv, 'volumes', 0)).toEqual({ name: 'model', image: { reference: `${REG}/models/qwen2.5-0.5b-instruct@${model.root.digest}`, pullPolicy: 'IfNotPresent' } });
    expect((at(iv, 'containers', 0, 'args') as string[]).slice(0, 2)).toEqual(['--model', '/models']);
  });

  it('003: Hugging Face → modelcar → registry → KServe, with provenance on the image, the InferenceService and a ConfigMap', async () => {
    const r = await renderScenario(scenarioSpec('003-hf-modelcar-kserve'));
    const objects = byId(r.objects);
    const model = r.bundle.manifest.artifacts.find((a) => a.kind === 'model')!;
    expect(r.modelcars).toHaveLength(1);
    const car = r.modelcars[0]!;
    expect(car).toMatchObject({ model: 'qwen2.5-0.5b-instruct', tag: `${REG}/modelcars/qwen2.5-0.5b-instruct:1.0.0`, action: 'built' });
    const built = car.built!;
    const uri = `oci://${REG}/modelcars/qwen2.5-0.5b-instruct@${built.root.digest}`;
    const isvc = objects.get('InferenceService/qwen');
    expect(at(isvc, 'spec', 'predictor', 'model')).toMatchObject({ storageUri: uri, runtime: 'vllm-runtime', modelFormat: { name: 'huggingface' }, resources: { limits: { 'nvidia.com/gpu': '1' } } });
    expect(at(isvc, 'metadata', 'annotations')).toMatchObject({
      'org.opencontainers.image.source': 'https://huggingface.co/Qwen/Qwen2.5-0.5B-Instruct',
      'org.opencontainers.image.revision': model.provenance.revision,
      'dev.airbundle.modelcar.model.digest': model.root.digest,
      'dev.airbundle.modelcar.source': 'hf://Qwen/Qwen2.5-0.5B-Instruct',
    });
    const registered = at(objects.get('ConfigMap/qwen-modelcar'), 'data') as Record<string, string>;
    expect(registered.storageUri).toBe(uri);
    const provenance = JSON.parse(registered['provenance.json']!) as { builder: string; model: { provenance: { type: string; revision: string; resolvedAt: string; details: { repo: string } } }; base: { ref: string } };
    expect(provenance).toMatchObject({ builder: MODELCAR_BUILDER, model: { provenance: { type: 'hf', revision: model.provenance.revision, resolvedAt: model.provenance.resolvedAt, details: { repo: 'Qwen/Qwen2.5-0.5B-Instruct' } } }, base: { ref: 'docker.io/library/busybox:1.37' } });
    // The image itself: busybox's layer, then the model files under /models, annotated with the same provenance.
    const manifest = JSON.parse(built.rootBytes.toString('utf8')) as { layers: Array<{ mediaType: string; digest: string }>; annotations: Record<string, string> };
    expect(manifest.layers).toHaveLength(2);
    expect(manifest.annotations['org.opencontainers.image.revision']).toBe(model.provenance.revision);
    expect(built.prepared.provenance.files.map((f) => f.path)).toEqual(Object.keys(r.bundle.files.get('qwen2.5-0.5b-instruct')!).sort().map((p) => `models/${p}`));
    for (const f of built.prepared.provenance.files) expect(f.digest).toBe(sha256Digest(r.bundle.files.get('qwen2.5-0.5b-instruct')![f.path.slice('models/'.length)]!));
    // The shipped ServingRuntime runs the vLLM image from the bundle, by digest.
    expect(at(objects.get('ServingRuntime/vllm-runtime'), 'spec', 'containers', 0, 'image')).toMatch(new RegExp(`^${REG}/vllm/vllm-openai@sha256:`));
  });

  it('004: one ReadWriteMany hf-cache volume, filled once with checksums and a .done marker, shared by several workloads', async () => {
    await expect(renderScenario(scenarioSpec('004-shared-model-cache'))).rejects.toThrow(/"STORAGE_CLASS" is required/);
    const r = await renderScenario(scenarioSpec('004-shared-model-cache'), { set: { STORAGE_CLASS: 'nfs-client' } });
    const objects = byId(r.objects);
    const model = r.bundle.manifest.artifacts.find((a) => a.kind === 'model')!;
    const plan = r.volumePlans.get('model-cache')!;
    const claims = r.objects.filter((o) => o.kind === 'PersistentVolumeClaim');
    expect(claims.map((c) => c.metadata.name)).toEqual(['model-cache']);
    expect(at(claims[0], 'spec')).toMatchObject({ accessModes: ['ReadWriteMany'], storageClassName: 'nfs-client', resources: { requests: { storage: '10Gi' } } });
    // The fill Job's script checks every file's sha256 and writes the checksums manifest and .done last.
    const script = at(objects.get('ConfigMap/model-cache-fill'), 'data', 'pull.sh') as string;
    for (const f of plan.files) expect(script).toContain(f.digest.slice('sha256:'.length));
    expect(script.indexOf('.airbundle-materialized.json')).toBeGreaterThan(0);
    expect(script.lastIndexOf('.done')).toBeGreaterThan(script.lastIndexOf('.airbundle-materialized.json'));
    const checksums = JSON.parse(plan.manifest.toString('utf8')) as { files: Array<{ path: string; digest: string }> };
    expect(checksums.files.length).toBe(plan.files.length);
    expect(plan.done.toString()).toBe(`${sha256Digest(plan.manifest)}\n`);
    // Every workload reads the same claim; the vLLM pods wait for exactly that .done.
    const users = r.objects.filter((o) => JSON.stringify(o).includes('model-cache') && ['Deployment', 'InferenceService'].includes(o.kind));
    expect(users.map((o) => o.metadata.name).sort()).toEqual(['batch', 'chat', 'chat-kserve']);
    for (const name of ['chat', 'batch']) {
      const pod = podOf(objects.get(`Deployment/${name}`));
      expect(at(pod, 'volumes', 0, 'persistentVolumeClaim', 'claimName')).toBe('model-cache');
      expect(at(pod, 'initContainers', 0, 'command', 2)).toContain(`= "${plan.done.toString().trim()}"`);
    }
    expect(at(objects.get('Deployment/chat'), 'spec', 'replicas')).toBe(2);
    expect(at(objects.get('InferenceService/chat-kserve'), 'spec', 'predictor', 'model', 'storageUri')).toBe(`pvc://model-cache/models--Qwen--Qwen2.5-1.5B-Instruct/snapshots/${model.provenance.revision}`);
  });
});
