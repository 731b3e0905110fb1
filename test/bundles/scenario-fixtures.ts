/**
 * The seed scenarios in bundles/ cannot be built here (their sources are on the internet), so these helpers make
 * the bundle.json a build would write, offline: the spec from the scenario's bundle.yaml (loadBundleSpec, shipped
 * manifests embedded as the build does) and, for each source, a synthetic artifact of the kind, ref, media types
 * and provenance the real source produces (src/sources/*), backed by small real content in memory so that
 * materialisation plans and modelcars can be computed from it.
 */
import { createHash, randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { assembleManifest, type Artifact, type BundleManifest } from '../../src/bundle/manifest.js';
import { MT_DOCKER_MANIFEST, MT_OCI_CONFIG, MT_OCI_INDEX, MT_OCI_MANIFEST } from '../../src/bundle/layout.js';
import type { Descriptor } from '../../src/content/descriptor.js';
import type { Digest } from '../../src/content/digest.js';
import { walkGraph } from '../../src/content/graph.js';
import { MemoryStore } from '../../src/content/memory-store.js';
import { deploySection, renderDeploy, type Rendered } from '../../src/deploy/render.js';
import { modelcarRequests, planModelcars, type PlannedModelcar } from '../../src/deploy/modelcars.js';
import { resolveValues } from '../../src/deploy/values.js';
import { findModel } from '../../src/materialize/find-model.js';
import type { MaterializePlan } from '../../src/materialize/materialize-plan.js';
import { planMaterialization } from '../../src/materialize/plan-materialization.js';
import { parseReference } from '../../src/oci/reference.js';
import { loadBundleSpec } from '../../src/schema/spec-loader.js';
import { validateBundleManifest } from '../../src/schema/validate.js';
import { parseHfSource } from '../../src/sources/hf/hf-reference.js';
import { packModelPack } from '../../src/sources/modelpack.js';
import { parseOllamaName } from '../../src/sources/ollama/ollama-source.js';
import { schemeOf } from '../../src/sources/resolve.js';
import { REPO } from '../support/cli.js';

/** SCENARIOS are the ready bundles of the five seeds, by directory under bundles/. */
export const SCENARIOS = ['000-ollama-registry', '001-gpu-prepull', '002-vllm-pvc-imagevolume', '003-hf-modelcar-kserve', '004-shared-model-cache'] as const;

/** scenarioSpec is the path of a scenario's bundle.yaml. */
export function scenarioSpec(scenario: (typeof SCENARIOS)[number]): string {
  return resolve(REPO, 'bundles', scenario, 'bundle.yaml');
}

/** The files a small Hugging Face model repository holds (what the hf source would list and pack). */
export function hfRepoFiles(repo: string): Record<string, Buffer> {
  return {
    'config.json': Buffer.from(JSON.stringify({ architectures: ['Qwen2ForCausalLM'], model_type: 'qwen2', _name_or_path: repo }) + '\n'),
    'generation_config.json': Buffer.from('{"do_sample":true}\n'),
    'model.safetensors': randomBytes(64 * 1024 + 7),
    'tokenizer.json': Buffer.from('{"version":"1.0"}\n'),
    'tokenizer_config.json': Buffer.from('{"model_max_length":32768}\n'),
    'LICENSE': Buffer.from('Apache License 2.0\n'),
  };
}

/** SyntheticBundle is a bundle.json and a store holding every blob it lists. */
export interface SyntheticBundle {
  manifest: BundleManifest;
  storage: MemoryStore;
  /** Files of each model by model name (hf and file sources). */
  files: Map<string, Record<string, Buffer>>;
}

const RESOLVED_AT = '2024-09-19T17:20:00.000Z';

/**
 * syntheticBundle builds the bundle.json a `bundle build` of the scenario would write, with synthetic artifacts:
 * hf:// → a ModelPack manifest packed the way resolveHfModel packs (commit, sourceURL, provenance type hf with
 * details.repo); ollama:// → a Docker v2 manifest of application/vnd.ollama.image.* layers with provenance type
 * ollama; a registry image with one platform → that platform's manifest, provenance type oci with the index
 * digest as revision (resolveRegistryArtifact narrowing an index).
 */
export async function syntheticBundle(specPath: string): Promise<SyntheticBundle> {
  const { spec, dir } = await loadBundleSpec(specPath);
  for (const file of spec.deploy?.manifests ?? []) file.content = await readFile(resolve(dir, file.path), 'utf8');
  const storage = new MemoryStore(64 * 1024 * 1024);
  const version = String(spec.metadata.version);
  const artifacts: Artifact[] = [];
  const files = new Map<string, Record<string, Buffer>>();
  for (const m of spec.models ?? []) {
    const tag = m.tag ?? version;
    switch (schemeOf(m.source)) {
      case 'hf': {
        const { repo, revision } = parseHfSource(m.name, m.source);
        const commit = createHash('sha1').update(`${repo}@${revision}`).digest('hex');
        const content = hfRepoFiles(repo);
        files.set(m.name, content);
        const uri = `https://huggingface.co/${repo}`;
        const list = Object.entries(content).map(([path, bytes]) => ({ path, ...storage.add('application/octet-stream', bytes) }));
        const root = packModelPack({ name: m.name, version: tag, revision: commit, sourceUrl: uri, format: m.format, files: list }, storage);
        artifacts.push({ kind: 'model', name: m.name, ref: `models/${m.name}:${tag}`, source: m.source, root, provenance: { type: 'hf', uri, revision: commit, resolvedAt: RESOLVED_AT, details: { repo, requested: revision, files: String(list.length) } } });
        break;
      }
      case 'ollama': {
        const n = parseOllamaName(m.source);
        const config = storage.add('application/vnd.docker.container.image.v1+json', JSON.stringify({ model_format: 'gguf', model_family: 'llama', file_type: 'Q8_0' }));
        const layers = [
          storage.add('application/vnd.ollama.image.model', Buffer.concat([Buffer.from('GGUF'), randomBytes(4096)])),
          storage.add('application/vnd.ollama.image.template', '{{ .Prompt }}'),
          storage.add('application/vnd.ollama.image.license', 'LLAMA 3.2 COMMUNITY LICENSE\n'),
          storage.add('application/vnd.ollama.image.params', '{"stop":["<|eot_id|>"]}'),
        ];
        const root = storage.add(MT_DOCKER_MANIFEST, JSON.stringify({ schemaVersion: 2, mediaType: MT_DOCKER_MANIFEST, config, layers }));
        artifacts.push({
          kind: 'model',
          name: m.name,
          ref: `models/${m.name}:${tag}`,
          source: m.source,
          root,
          provenance: { type: 'ollama', uri: `${n.host}/${n.namespace}/${n.model}:${n.tag}`, revision: root.digest, resolvedAt: RESOLVED_AT, details: { host: n.host, namespace: n.namespace, model: n.model, tag: n.tag } },
        });
        break;
      }
      default:
        throw new Error(`scenario fixtures: no synthetic source for ${m.source}`);
    }
  }
  for (const i of spec.images ?? []) {
    const ref = parseReference(i.source.replace(/^oci:\/\//, ''));
    const name = i.name ?? `${ref.registry}/${ref.repository}:${ref.tag ?? 'latest'}`;
    const platforms = i.platforms ?? ['linux/amd64', 'linux/arm64'];
    const manifests = platforms.map((p) => {
      const [os, architecture] = p.split('/') as [string, string];
      const layer = storage.add('application/vnd.oci.image.layer.v1.tar+gzip', randomBytes(512));
      const config = storage.add(MT_OCI_CONFIG, JSON.stringify({ architecture, os, config: { Cmd: ['sh'] }, rootfs: { type: 'layers', diff_ids: [`sha256:${createHash('sha256').update(layer.digest).digest('hex')}`] }, history: [{ created_by: name }] }));
      const manifest = storage.add(MT_OCI_MANIFEST, JSON.stringify({ schemaVersion: 2, mediaType: MT_OCI_MANIFEST, config, layers: [layer] }));
      return { ...manifest, platform: { architecture, os } };
    });
    const index = storage.add(MT_OCI_INDEX, JSON.stringify({ schemaVersion: 2, mediaType: MT_OCI_INDEX, manifests }));
    const narrowed = i.platforms !== undefined && manifests.length === 1;
    artifacts.push({
      kind: 'image',
      name,
      ref: name,
      source: i.source,
      root: narrowed ? manifests[0]! : index,
      provenance: { type: 'oci', uri: `${ref.registry}/${ref.repository}:${ref.tag ?? 'latest'}`, revision: index.digest, resolvedAt: RESOLVED_AT, details: { repository: `${ref.registry}/${ref.repository}`, ...(narrowed ? { sourceDigest: index.digest } : {}) } },
      ...(i.platforms !== undefined ? { platforms: i.platforms } : {}),
    });
  }
  const blobs: Array<{ desc: Descriptor; chunks: Digest[] }> = [];
  for (const a of artifacts) for (const desc of await walkGraph(storage, { ...a.root, digest: a.root.digest as Digest })) blobs.push({ desc, chunks: [] });
  const manifest = assembleManifest({
    name: spec.metadata.name,
    version,
    created: RESOLVED_AT,
    generator: 'airbundle test fixtures',
    chunkSize: 64 * 1024 * 1024,
    spec: spec as unknown as Record<string, unknown>,
    artifacts,
    blobs,
  });
  validateBundleManifest(JSON.parse(JSON.stringify(manifest)));
  return { manifest, storage, files };
}

/** RenderedScenario is a scenario's objects as deploy would apply them, with what was computed on the way. */
export interface RenderedScenario extends Rendered {
  bundle: SyntheticBundle;
  volumePlans: Map<string, MaterializePlan>;
  modelcars: PlannedModelcar[];
}

/**
 * renderScenario does what `bundle deploy --render-only --no-push` does, on the synthetic bundle: values,
 * volume plans, modelcars (hashed, not pushed), then renderDeploy (which validates every object).
 */
export async function renderScenario(specPath: string, options: { registry?: string; set?: Record<string, string>; credentials?: { username: string; password: string } } = {}): Promise<RenderedScenario> {
  const bundle = await syntheticBundle(specPath);
  const registry = options.registry ?? 'registry.airgap.local:5000';
  const spec = bundle.manifest.spec as { deploy?: { variables?: never[]; volumes?: Array<{ name: string; model: string; layout?: 'plain' | 'hf-cache' | 'ollama' }> } };
  const values = resolveValues(spec.deploy?.variables ?? [], options.set ?? {});
  const volumePlans = new Map<string, MaterializePlan>();
  for (const v of spec.deploy?.volumes ?? []) volumePlans.set(v.name, await planMaterialization(bundle.storage, findModel(bundle.manifest, v.model, 'scenario'), v.layout ?? 'hf-cache'));
  const requests = modelcarRequests(bundle.manifest, deploySection(bundle.manifest, values));
  const modelcars = await planModelcars(bundle.storage, requests, { registry, noPush: true });
  const rendered = renderDeploy(bundle.manifest, { registry, values, volumePlans, modelcars: modelcars.refs, ...(options.credentials !== undefined ? { credentials: options.credentials } : {}) });
  return { ...rendered, bundle, volumePlans, modelcars: modelcars.planned };
}
