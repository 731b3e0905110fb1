import { describe, expect, it } from 'vitest';
import type { BundleManifest } from '../../src/bundle/manifest.js';
import { renderDeploy } from '../../src/deploy/render.js';
import { resolveValues } from '../../src/deploy/values.js';
import type { Deploy } from '../../src/schema/generated/bundle-spec.js';

const D = (c: string): string => `sha256:${c.repeat(64)}`;

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
    artifacts: [
      { kind: 'model', name: 'llama', ref: 'models/llama:1', source: 'hf://meta/llama', root: { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: D('a'), size: 10 }, provenance: { type: 'hf', uri: 'x', revision: 'c'.repeat(40), details: { repo: 'meta/llama' } } },
      { kind: 'model', name: 'tiny', ref: 'models/tiny:1', source: 'ollama://library/tiny:1b', root: { mediaType: 'application/vnd.docker.distribution.manifest.v2+json', digest: D('b'), size: 10 }, provenance: { type: 'ollama', uri: 'x', details: { host: 'registry.ollama.ai', namespace: 'library', model: 'tiny', tag: '1b' } } },
      { kind: 'image', name: 'docker.io/vllm/vllm-openai:v0.6.3', ref: 'docker.io/vllm/vllm-openai:v0.6.3', source: 'vllm/vllm-openai:v0.6.3', root: { mediaType: 'application/vnd.oci.image.index.v1+json', digest: D('d'), size: 10 }, provenance: { type: 'oci', uri: 'x' } },
      { kind: 'image', name: 'docker.io/ollama/ollama:0.5.1', ref: 'docker.io/ollama/ollama:0.5.1', source: 'ollama/ollama:0.5.1', root: { mediaType: 'application/vnd.oci.image.index.v1+json', digest: D('e'), size: 10 }, provenance: { type: 'oci', uri: 'x' } },
    ],
    blobs: [{ digest: D('a'), size: 3 * 1024 ** 3, mediaType: 'x' }],
  };
}

const noValues = resolveValues([], {});

/** at reads a nested value of a rendered object (tests only look, never trust the shape). */
function at(o: unknown, ...path: Array<string | number>): unknown {
  return path.reduce<unknown>((v, k) => (v as Record<string | number, unknown> | undefined)?.[k], o);
}

describe('renderDeploy', () => {
  it('vllm on an hf-cache volume serves the snapshot offline, with GPUs and tolerations; images by digest', () => {
    const r = renderDeploy(manifest({
      namespace: 'ai',
      volumes: [{ name: 'llama', model: 'llama', layout: 'hf-cache', storageClass: 'fast', transport: 'stream' }],
      workloads: [{ generator: 'vllm', name: 'llm', volume: 'llama', image: 'vllm/vllm-openai:v0.6.3', gpus: 1, tolerations: [{ key: 'nvidia.com/gpu', operator: 'Exists' }] }],
    }), { registry: 'reg.local:5000/mirror', values: noValues });
    const [ns, pvc, dep, svc] = r.objects;
    expect(ns!.kind).toBe('Namespace');
    expect(at(pvc, 'spec', 'resources', 'requests', 'storage')).toBe('4Gi');
    expect(at(pvc, 'spec', 'storageClassName')).toBe('fast');
    const c = at(dep, 'spec', 'template', 'spec', 'containers', 0);
    expect(at(c, 'image')).toBe(`reg.local:5000/mirror/vllm/vllm-openai@${D('d')}`);
    expect((at(c, 'args') as string[]).slice(0, 2)).toEqual(['--model', `/models-cache/models--meta--llama/snapshots/${'c'.repeat(40)}`]);
    expect(at(c, 'env')).toContainEqual({ name: 'HF_HUB_OFFLINE', value: '1' });
    expect(at(c, 'resources', 'limits', 'nvidia.com/gpu')).toBe('1');
    expect(at(dep, 'spec', 'template', 'spec', 'tolerations')).toHaveLength(1);
    expect(svc!.kind).toBe('Service');
  });

  it('vllm from an ImageVolume, ollama pulling from the registry, kserve modelcar, prepull', () => {
    const r = renderDeploy(manifest({
      workloads: [
        { generator: 'vllm', name: 'iv', model: 'llama', image: 'docker.io/vllm/vllm-openai:v0.6.3', storage: 'imageVolume' },
        { generator: 'ollama', name: 'ol', model: 'tiny', image: 'ollama/ollama:0.5.1' },
        { generator: 'kserve', name: 'ks', model: 'llama', storage: 'oci' },
        { generator: 'prepull', name: 'warm', images: ['vllm/vllm-openai:v0.6.3'], image: 'ollama/ollama:0.5.1', nodeSelector: { gpu: 'true' } },
      ],
    }), { registry: 'r:5000', values: noValues, credentials: { username: 'u', password: 'p' } });
    const byId = new Map(r.objects.map((o) => [`${o.kind}/${o.metadata.name}`, o]));
    const pod = (id: string): unknown => at(byId.get(id), 'spec', 'template', 'spec');
    expect(at(pod('Deployment/iv'), 'volumes', 0, 'image', 'reference')).toBe(`r:5000/models/llama@${D('a')}`);
    expect(at(pod('Deployment/ol'), 'initContainers', 0, 'command', 2)).toContain('ollama pull --insecure r:5000/models/tiny:1');
    expect(at(byId.get('InferenceService/ks'), 'spec', 'predictor', 'model', 'storageUri')).toBe(`oci://r:5000/models/llama@${D('a')}`);
    expect(at(pod('DaemonSet/warm'), 'nodeSelector')).toEqual({ gpu: 'true' });
    expect(at(byId.get('Secret/airbundle-registry'), 'type')).toBe('kubernetes.io/dockerconfigjson');
    expect(at(pod('Deployment/ol'), 'imagePullSecrets')).toEqual([{ name: 'airbundle-registry' }]);
  });

  it('names an image or model that is not in the bundle, and a shipped object that fails the schema', () => {
    expect(() => renderDeploy(manifest({ workloads: [{ generator: 'vllm', name: 'x', model: 'llama', image: 'nginx:1' }] }), { registry: 'r', values: noValues })).toThrow(/uses image nginx:1, which is not in this bundle/);
    expect(() => renderDeploy(manifest({ workloads: [{ generator: 'vllm', name: 'x', model: 'nope' }] }), { registry: 'r', values: noValues })).toThrow(/"nope" is not in this bundle/);
    const bad = 'apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec: {ports: [{port: "eighty"}]}\n';
    expect(() => renderDeploy(manifest({ manifests: [{ path: 'm.yaml', content: bad }] }), { registry: 'r', values: noValues })).toThrow(/Service\/airbundle\/s: .*port/);
  });
});
