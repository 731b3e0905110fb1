import type { Artifact, BundleManifest } from '../bundle/manifest.js';
import type { ReadOnlyStorage } from '../content/storage.js';
import { AirbundleError } from '../errors.js';
import { buildModelcar, prepareModelcar, type BuiltModelcar } from '../modelcar/build-modelcar.js';
import { findModelcar, modelcarRepository, pushModelcar } from '../modelcar/push-modelcar.js';
import { Registry, type RegistryOptions } from '../oci/registry.js';
import { noProgress, type ProgressSink } from '../progress/events.js';
import type { Deploy, Workload } from '../schema/generated/bundle-spec.js';
import { parseRegistryTarget } from '../targets/registry/registry-target.js';
import { findArtifact } from './image-map.js';

/** ModelcarRef is a modelcar as rendered objects use it: its in-cluster reference by digest and its annotations. */
export interface ModelcarRef {
  /** `HOST/PREFIX/modelcars/<model>@sha256:…` (by tag only in a dry run, where nothing is built). */
  reference: string;
  annotations: Record<string, string>;
}

/** ModelcarRequest is one modelcar the deploy section needs, and the workloads that need it. */
export interface ModelcarRequest {
  key: string;
  model: Artifact;
  base: Artifact;
  workloads: string[];
}

/** needsModelcar tells whether a workload is served from a modelcar image. */
export function needsModelcar(w: Workload): boolean {
  return w.generator === 'modelcar' || (w.generator === 'kserve' && w.storage === 'modelcar');
}

/** modelcarKey identifies a modelcar by its inputs: the model and the base image, by digest. */
export function modelcarKey(model: Pick<Artifact, 'root'>, base: Pick<Artifact, 'root'>): string {
  return `${model.root.digest}+${base.root.digest}`;
}

/**
 * modelcarInputs finds the model and the base image of a workload that needs a modelcar: `model:` names a
 * ModelPack model of the bundle, `baseImage:` (default deploy.loaderImage) a small image with a shell. Pure.
 */
export function modelcarInputs(w: Workload, artifacts: Artifact[], loaderImage: string | undefined): { model: Artifact; base: Artifact } {
  const models = artifacts.filter((a) => a.kind === 'model');
  const model = models.find((m) => m.name === w.model || m.ref === w.model);
  if (w.model === undefined || model === undefined) {
    throw new AirbundleError('MODEL_NOT_IN_BUNDLE', `workload ${w.name} (${w.generator}) builds a modelcar and needs model:; ${w.model === undefined ? 'none is named' : `"${w.model}" is not in this bundle`}`, {
      hint: `models in the bundle: ${models.map((m) => m.name).join(', ') || 'none'}`,
    });
  }
  if (model.provenance.type === 'ollama') {
    throw new AirbundleError('SPEC_INVALID', `workload ${w.name}: ${model.name} is an Ollama model; a modelcar holds the files of a ModelPack model (hf://, file://, https://, oci://)`, {
      hint: 'serve Ollama models with the ollama generator',
    });
  }
  const baseName = w.baseImage ?? loaderImage;
  if (baseName === undefined) {
    throw new AirbundleError('SPEC_INVALID', `workload ${w.name}: a modelcar is the model on top of a small base image; set baseImage: (an image in this bundle with sh, e.g. docker.io/library/busybox:1.37) or deploy.loaderImage`);
  }
  const base = findArtifact(artifacts, baseName);
  if (base === undefined || base.kind !== 'image') {
    const known = artifacts.filter((a) => a.kind === 'image').map((a) => a.name);
    throw new AirbundleError('IMAGE_NOT_IN_BUNDLE', `workload ${w.name} uses base image ${baseName}, which is not ${base === undefined ? 'in this bundle' : 'an image'}`, {
      hint: `add it under images: in bundle.yaml and rebuild (images in the bundle: ${known.join(', ') || 'none'})`,
    });
  }
  return { model, base };
}

/** modelcarRequests lists the modelcars a deploy section needs, one per model and base. Pure. */
export function modelcarRequests(manifest: BundleManifest, deploy: Deploy): ModelcarRequest[] {
  const byKey = new Map<string, ModelcarRequest>();
  const byModel = new Map<string, ModelcarRequest>();
  for (const w of (deploy.workloads ?? []).filter(needsModelcar)) {
    const { model, base } = modelcarInputs(w, manifest.artifacts, deploy.loaderImage);
    const key = modelcarKey(model, base);
    const other = byModel.get(model.ref);
    if (other !== undefined && other.key !== key) {
      throw new AirbundleError('SPEC_INVALID', `workloads ${other.workloads[0]} and ${w.name} put ${model.name} on two different base images (${other.base.name}, ${base.name}); its modelcar has one tag`, {
        hint: 'use the same baseImage for every modelcar of a model',
      });
    }
    const request = byKey.get(key) ?? { key, model, base, workloads: [] };
    request.workloads.push(w.name);
    byKey.set(key, request);
    byModel.set(model.ref, request);
  }
  return [...byKey.values()];
}

/** ModelcarPlanOptions for {@link planModelcars}. */
export interface ModelcarPlanOptions {
  /** `HOST[:PORT][/PREFIX]` of the in-cluster registry. */
  registry: string;
  connection?: Omit<RegistryOptions, 'onEvent' | 'phase'>;
  /** Nothing is built (references are by tag); nothing is asked of the registry. */
  dryRun?: boolean;
  /** Nothing will be pushed, so the registry is not asked for an earlier build. */
  noPush?: boolean;
  onEvent?: ProgressSink;
  signal?: AbortSignal;
}

/** PlannedModelcar is what deploy knows of one modelcar before anything is pushed. */
export interface PlannedModelcar {
  model: string;
  /** `HOST/PREFIX/modelcars/<model>:<tag>` */
  tag: string;
  digest?: string;
  /** `reused`: the registry holds it already (same key); `built`: hashed here, pushed by {@link pushModelcars}. */
  action: 'reused' | 'built' | 'would build';
  built?: BuiltModelcar;
}

/**
 * planModelcars works out every modelcar the deploy section needs, before anything is touched: an earlier push
 * with the same key is found in the registry by tag and reused; otherwise the model layer is hashed in one pass
 * over the bundle (pushModelcars sends it in a second). Returns the references to render, by request key.
 */
export async function planModelcars(storage: ReadOnlyStorage, requests: ModelcarRequest[], options: ModelcarPlanOptions): Promise<{ refs: Map<string, ModelcarRef>; planned: PlannedModelcar[] }> {
  const refs = new Map<string, ModelcarRef>();
  const planned: PlannedModelcar[] = [];
  if (requests.length === 0) return { refs, planned };
  const onEvent = options.onEvent ?? noProgress;
  const target = parseRegistryTarget(options.registry);
  const sig = options.signal !== undefined ? { signal: options.signal } : {};
  const registry = options.dryRun === true || options.noPush === true ? undefined : new Registry(target.host, { ...options.connection, onEvent, phase: 'modelcar' });
  try {
    onEvent({ type: 'phase-start', phase: 'modelcar', title: `Modelcars: ${requests.map((r) => r.model.name).join(', ')}` });
    for (const r of requests) {
      const prepared = await prepareModelcar(storage, r.model, r.base, sig);
      const { repository, tag } = modelcarRepository(prepared, target.prefix);
      const named = `${target.host}/${repository}:${tag}`;
      if (options.dryRun === true) {
        refs.set(r.key, { reference: named, annotations: prepared.annotations });
        planned.push({ model: r.model.name, tag: named, action: 'would build' });
        continue;
      }
      const found = registry === undefined ? undefined : await findModelcar(registry, prepared, { prefix: target.prefix, ...sig });
      if (found !== undefined) {
        onEvent({ type: 'info', phase: 'modelcar', message: `${named} already holds the modelcar of ${r.model.name} (${found.digest})` });
        refs.set(r.key, { reference: `${target.host}/${repository}@${found.digest}`, annotations: prepared.annotations });
        planned.push({ model: r.model.name, tag: named, digest: found.digest, action: 'reused' });
        continue;
      }
      const built = await buildModelcar(prepared, { onEvent, ...sig });
      refs.set(r.key, { reference: `${target.host}/${repository}@${built.root.digest}`, annotations: prepared.annotations });
      planned.push({ model: r.model.name, tag: named, digest: built.root.digest, action: 'built', built });
    }
    onEvent({ type: 'phase-end', phase: 'modelcar', title: `Modelcars: ${requests.map((r) => r.model.name).join(', ')}` });
    return { refs, planned };
  } finally {
    registry?.close();
  }
}

/** pushModelcars pushes the modelcars planModelcars built (after the bundle itself, so base layers can be mounted). */
export async function pushModelcars(planned: PlannedModelcar[], options: Omit<ModelcarPlanOptions, 'dryRun' | 'noPush'>): Promise<void> {
  const toPush = planned.filter((p) => p.built !== undefined);
  if (toPush.length === 0) return;
  const onEvent = options.onEvent ?? noProgress;
  const target = parseRegistryTarget(options.registry);
  const registry = new Registry(target.host, { ...options.connection, onEvent, phase: 'modelcar' });
  try {
    onEvent({ type: 'phase-start', phase: 'modelcar', title: `Push modelcars to ${options.registry}` });
    for (const p of toPush) await pushModelcar(registry, p.built!, { prefix: target.prefix, onEvent, ...(options.signal !== undefined ? { signal: options.signal } : {}) });
    onEvent({ type: 'phase-end', phase: 'modelcar', title: `Push modelcars to ${options.registry}` });
  } finally {
    registry.close();
  }
}
