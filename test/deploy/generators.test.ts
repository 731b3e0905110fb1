import { describe, expect, it } from 'vitest';
import type { Artifact, BundleManifest } from '../../src/bundle/manifest.js';
import { modelcarKey } from '../../src/deploy/modelcars.js';
import { renderDeploy, type RenderOptions } from '../../src/deploy/render.js';
import { resolveValues } from '../../src/deploy/values.js';
import type { MaterializePlan } from '../../src/materialize/materialize-plan.js';
import type { Deploy } from '../../src/schema/generated/bundle-spec.js';

const D = (c: string): string => `sha256:${c.repeat(64)}`;
const MANIFEST = 'application/vnd.oci.image.manifest.v1+json';

const qwen: Artifact = {
  kind: 'model',
  name: 'qwen',
  ref: 'models/qwen:1',
  source: 'hf://Qwen/Qwen2.5-0.5B-Instruct',
  root: { mediaType: MANIFEST, digest: D('a'), size: 10, artifactType: 'application/vnd.cncf.model.manifest.v1+json' },
  provenance: { type: 'hf', uri: 'https://huggingface.co/Qwen/Qwen2.5-0.5B-Instruct', revision: 'c'.repeat(40), details: { repo: 'Qwen/Qwen2.5-0.5B-Instruct' } },
};
const llama: Artifact = {
  kind: 'model',
  name: 'llama3.2',
  ref: 'models/llama3.2:1b',
  source: 'ollama://library/llama3.2:1b',
  root: { mediaType: 'application/vnd.docker.distribution.manifest.v2+json', digest: D('b'), size: 10 },
  provenance: { type: 'ollama', uri: 'registry.ollama.ai/library/llama3.2:1b', details: { host: 'registry.ollama.ai', namespace: 'library', model: 'llama3.2', tag: '1b' } },
};
const image = (name: string, c: string): Artifact => ({ kind: 'image', name, ref: name, source: name, root: { mediaType: MANIFEST, digest: D(c), size: 10 }, provenance: { type: 'oci', uri: name } });
const busybox = image('docker.io/library/busybox:1.37', 'e');
const vllmImage = image('docker.io/vllm/vllm-openai:v0.6.3', 'd');
const ollamaImage = image('docker.io/ollama/ollama:0.6.8', 'f');

function manifest(deploy: Deploy): BundleManifest {
  return {
    schemaVersion: 1,
    mediaType: 'application/vnd.airbundle.bundle.v1+json',
    name: 'b',
    version: '1',
    created: '2000-01-01T00:00:00Z',
    generator: 'test',
    chunkSize: 1048576,
    spec: { apiVersion: 'airbundle.dev/v1', kind: 'Bundle', metadata: { name: 'b', version: '1' }, deploy },
    artifacts: [qwen, llama, busybox, vllmImage, ollamaImage],
    blobs: [],
  };
}

const render = (deploy: Deploy, options: Partial<RenderOptions> = {}) => renderDeploy(manifest(deploy), { registry: 'reg:5000', values: resolveValues([], {}), ...options });
const byId = (objects: Array<{ kind: string; metadata: { name: string } }>) => new Map(objects.map((o) => [`${o.kind}/${o.metadata.name}`, o]));
function at(o: unknown, ...path: Array<string | number>): unknown {
  return path.reduce<unknown>((v, k) => (v as Record<string | number, unknown> | undefined)?.[k], o);
}

describe('generators', () => {
  it('kserve storage modelcar serves the built modelcar by digest, with its provenance and the runtime asked for', () => {
    const car = `reg:5000/modelcars/qwen@${D('9')}`;
    const annotations = { 'org.opencontainers.image.source': qwen.provenance.uri, 'org.opencontainers.image.revision': 'c'.repeat(40), 'dev.airbundle.modelcar.provenance': '{"x":1}' };
    const deploy: Deploy = {
      loaderImage: 'docker.io/library/busybox:1.37',
      workloads: [
        { generator: 'kserve', name: 'qwen', model: 'qwen', storage: 'modelcar', runtime: 'vllm-runtime', gpus: 1 },
        { generator: 'modelcar', name: 'qwen-modelcar', model: 'qwen' },
      ],
    };
    const objects = byId(render(deploy, { modelcars: new Map([[modelcarKey(qwen, busybox), { reference: car, annotations }]]) }).objects);
    const isvc = objects.get('InferenceService/qwen');
    expect(at(isvc, 'spec', 'predictor', 'model')).toMatchObject({ storageUri: `oci://${car}`, runtime: 'vllm-runtime', modelFormat: { name: 'huggingface' } });
    expect(at(isvc, 'metadata', 'annotations')).toEqual({ 'org.opencontainers.image.source': qwen.provenance.uri, 'org.opencontainers.image.revision': 'c'.repeat(40) });
    expect(at(objects.get('ConfigMap/qwen-modelcar'), 'data')).toEqual({ image: car, storageUri: `oci://${car}`, model: 'models/qwen:1', 'provenance.json': '{"x":1}' });
    expect(() => render(deploy)).toThrow(/modelcar of qwen on docker.io\/library\/busybox:1.37 was not built/);
  });

  it('prepull pulls images with init containers and models as ImageVolumes, on the selected nodes', () => {
    const r = render({
      workloads: [
        {
          generator: 'prepull',
          name: 'warm',
          image: 'docker.io/library/busybox:1.37',
          images: ['docker.io/vllm/vllm-openai:v0.6.3', 'qwen'],
          nodeSelector: { 'nvidia.com/gpu.present': 'true' },
          tolerations: [{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }],
        },
      ],
    });
    const pod = at(byId(r.objects).get('DaemonSet/warm'), 'spec', 'template', 'spec');
    expect(at(pod, 'initContainers')).toEqual([expect.objectContaining({ name: 'pull-0', image: `reg:5000/vllm/vllm-openai@${D('d')}` })]);
    expect(at(pod, 'volumes')).toEqual([{ name: 'model-0', image: { reference: `reg:5000/models/qwen@${D('a')}`, pullPolicy: 'IfNotPresent' } }]);
    expect(at(pod, 'containers', 0, 'volumeMounts')).toEqual([{ name: 'model-0', mountPath: '/prepull/model-0', readOnly: true }]);
    expect(at(pod, 'nodeSelector')).toEqual({ 'nvidia.com/gpu.present': 'true' });
  });

  it('workloads on a volume wait in an init container until its .done marker names the expected materialisation', () => {
    const done = `${D('7')}\n`;
    const plan = { done: Buffer.from(done) } as MaterializePlan;
    const r = render(
      {
        loaderImage: 'docker.io/library/busybox:1.37',
        volumes: [
          { name: 'cache', model: 'qwen', layout: 'hf-cache', accessMode: 'ReadWriteMany', transport: 'stream' },
          { name: 'ollama-store', model: 'llama3.2', layout: 'ollama', transport: 'stream' },
        ],
        workloads: [
          { generator: 'vllm', name: 'chat', volume: 'cache', image: 'docker.io/vllm/vllm-openai:v0.6.3' },
          { generator: 'ollama', name: 'ol', volume: 'ollama-store', image: 'docker.io/ollama/ollama:0.6.8' },
        ],
      },
      { volumePlans: new Map([['cache', plan], ['ollama-store', plan]]) },
    );
    const objects = byId(r.objects);
    const wait = at(objects.get('Deployment/chat'), 'spec', 'template', 'spec', 'initContainers', 0) as { image: string; command: string[]; volumeMounts: unknown[] };
    expect(wait.image).toBe(`reg:5000/library/busybox@${D('e')}`);
    expect(wait.command[2]).toContain(`"$(cat /models-cache/.done 2>/dev/null)" = "${D('7')}"`);
    expect(wait.volumeMounts).toEqual([{ name: 'model', mountPath: '/models-cache', readOnly: true }]);
    const olWait = at(objects.get('Deployment/ol'), 'spec', 'template', 'spec', 'initContainers', 0) as { volumeMounts: unknown[] };
    expect(olWait.volumeMounts).toEqual([{ name: 'models', mountPath: '/models', readOnly: true }]);
  });

  it('ollama pulling from a registry with a path prefix is refused with what to do', () => {
    expect(() => render({ workloads: [{ generator: 'ollama', name: 'ol', model: 'llama3.2', image: 'docker.io/ollama/ollama:0.6.8' }] }, { registry: 'reg:5000/airgap' })).toThrow(/at most host\/namespace\/model/);
    const ok = render({ workloads: [{ generator: 'ollama', name: 'ol', model: 'llama3.2', image: 'docker.io/ollama/ollama:0.6.8' }] });
    expect(at(byId(ok.objects).get('Deployment/ol'), 'spec', 'template', 'spec', 'initContainers', 0, 'command', 2)).toContain('ollama pull --insecure reg:5000/models/llama3.2:1b');
  });
});
