import { parseAllDocuments } from 'yaml';
import type { BundleManifest } from '../bundle/manifest.js';
import { AirbundleError } from '../errors.js';
import type { BundleSpec, Deploy } from '../schema/generated/bundle-spec.js';
import { generators } from './generators/index.js';
import type { GeneratorContext } from './generators/generator-context.js';
import { ImageMap } from './image-map.js';
import { isKubeObject, managedLabels, objectId, type KubeObject } from './kube-object.js';
import { substitute, type Values } from './values.js';
import { validateObjects } from './validate-objects.js';
import { basicAuthSecret, pullFillObjects } from './volume-fill.js';
import type { MaterializePlan } from '../materialize/materialize-plan.js';
import type { ModelcarRef } from './modelcars.js';

/** RenderOptions for {@link renderDeploy}. */
export interface RenderOptions {
  /** `HOST[:PORT][/PREFIX]` of the in-cluster registry, as nodes reach it. */
  registry: string;
  namespace?: string;
  values: Values;
  /** Registry credentials for a pull Secret (never printed). */
  credentials?: { username: string; password: string };
  /** The registry speaks plain HTTP (pull scripts then use http://). */
  plainHttp?: boolean;
  /** What each volume will hold, by volume name (from the bundle; see openMaterializePlan). */
  volumePlans?: Map<string, MaterializePlan>;
  /** Modelcars built for the workloads that need one, by modelcarKey (see planModelcars). */
  modelcars?: Map<string, ModelcarRef>;
}

/** Rendered is what deploy would apply, in apply order. */
export interface Rendered {
  namespace: string;
  objects: KubeObject[];
  deploy: Deploy;
}

const CLUSTER_SCOPED = new Set(['Namespace', 'ClusterRole', 'ClusterRoleBinding', 'CustomResourceDefinition', 'PersistentVolume', 'StorageClass', 'PriorityClass', 'RuntimeClass', 'IngressClass']);
const PULL_SECRET = 'airbundle-registry';

/**
 * renderDeploy turns a bundle's deploy section into Kubernetes objects: namespace, pull secret, volumes,
 * generated workloads and shipped manifests, with `${VARS}` substituted and every image rewritten to the
 * in-cluster registry by digest. Pure: the same bundle and options give the same objects. Validated before return.
 */
export function renderDeploy(manifest: BundleManifest, options: RenderOptions): Rendered {
  const deploy = deploySection(manifest, options.values);
  const namespace = options.namespace ?? deploy.namespace ?? 'airbundle';
  const images = new ImageMap(manifest.artifacts, options.registry);
  const ctx: GeneratorContext = {
    bundle: manifest.name,
    namespace,
    registry: options.registry,
    images,
    models: manifest.artifacts.filter((a) => a.kind === 'model'),
    artifacts: manifest.artifacts,
    volumes: deploy.volumes ?? [],
    ...(options.credentials !== undefined ? { pullSecret: PULL_SECRET } : {}),
    ...(deploy.loaderImage !== undefined ? { loaderImage: deploy.loaderImage } : {}),
    ...(options.modelcars !== undefined ? { modelcars: options.modelcars } : {}),
    ...(options.volumePlans !== undefined ? { volumeDone: new Map([...options.volumePlans].map(([name, plan]) => [name, plan.done.toString('utf8').trim()])) } : {}),
  };
  const objects: KubeObject[] = [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace, labels: managedLabels(manifest.name, 'namespace') } }];
  if (options.credentials !== undefined) objects.push(pullSecret(options.registry, options.credentials, ctx));
  if (options.credentials !== undefined && (deploy.volumes ?? []).some((v) => (v.transport ?? 'pull') === 'pull')) objects.push(basicAuthSecret(options.credentials, ctx));
  for (const v of deploy.volumes ?? []) {
    const claim = volumeClaim(v, manifest, ctx);
    objects.push(claim);
    if ((v.transport ?? 'pull') !== 'pull') continue;
    const plan = options.volumePlans?.get(v.name);
    if (plan === undefined) throw new AirbundleError('INTERNAL', `no materialize plan for volume ${v.name}`);
    if (deploy.loaderImage === undefined) {
      throw new AirbundleError('MANIFEST_INVALID', `deploy volume ${v.name} is filled by a Job, which needs deploy.loaderImage: a busybox-like image in this bundle (sh, wget, sha256sum)`, {
        hint: 'add e.g. docker.io/library/busybox:1.37 under images: and set deploy.loaderImage to it',
      });
    }
    const loader = images.resolve(deploy.loaderImage, 'deploy.loaderImage');
    objects.push(...pullFillObjects(v, plan, claim.metadata.annotations!['airbundle.dev/model']!, loader, ctx, options.plainHttp === true, options.credentials !== undefined));
  }
  for (const w of deploy.workloads ?? []) objects.push(...generators[w.generator](w, ctx));
  for (const file of deploy.manifests ?? []) objects.push(...shipped(file.path, file.content ?? '', options.values, images, namespace));
  const seen = new Set<string>();
  for (const o of objects) {
    const id = objectId(o);
    if (seen.has(id)) throw new AirbundleError('MANIFEST_INVALID', `${id} is rendered twice: rename one of the workloads or shipped objects`);
    seen.add(id);
  }
  validateObjects(objects);
  return { namespace, objects, deploy };
}

/** deploySection is the bundle's deploy section with `${VARS}` substituted (shipped manifest content aside). Pure. */
export function deploySection(manifest: BundleManifest, values: Values): Deploy {
  const spec = manifest.spec as unknown as BundleSpec;
  return substituteDeep(spec.deploy ?? {}, values, 'deploy') as Deploy;
}

function volumeClaim(v: NonNullable<Deploy['volumes']>[number], manifest: BundleManifest, ctx: GeneratorContext): KubeObject {
  const model = manifest.artifacts.find((a) => a.kind === 'model' && (a.name === v.model || a.ref === v.model));
  if (model === undefined) {
    throw new AirbundleError('MODEL_NOT_IN_BUNDLE', `deploy volume ${v.name} holds model "${v.model}", which is not in this bundle`, {
      hint: `models in the bundle: ${ctx.models.map((m) => m.name).join(', ') || 'none'}`,
    });
  }
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: {
      name: v.name,
      namespace: ctx.namespace,
      labels: managedLabels(ctx.bundle, 'model-volume'),
      annotations: { 'airbundle.dev/model': model.ref, 'airbundle.dev/model-digest': model.root.digest, 'airbundle.dev/layout': v.layout ?? 'hf-cache' },
    },
    spec: {
      accessModes: [v.accessMode ?? 'ReadWriteOnce'],
      resources: { requests: { storage: v.size ?? defaultSize(manifest, model.root.digest) } },
      ...(v.storageClass !== undefined ? { storageClassName: v.storageClass } : {}),
    },
  };
}

/** defaultSize is the model's bytes plus 10%, in whole GiB, at least 1Gi. */
function defaultSize(manifest: BundleManifest, _root: string): string {
  const bytes = manifest.blobs.reduce((n, b) => n + b.size, 0);
  return `${Math.max(1, Math.ceil((bytes * 1.1) / 1024 ** 3))}Gi`;
}

function pullSecret(registry: string, creds: { username: string; password: string }, ctx: GeneratorContext): KubeObject {
  return dockerConfigSecret(registry, creds, { name: PULL_SECRET, namespace: ctx.namespace, labels: managedLabels(ctx.bundle, 'registry-credentials') });
}

/**
 * dockerConfigSecret is a `kubernetes.io/dockerconfigjson` Secret with `creds` for the host of `registry`
 * (`HOST[:PORT][/PREFIX]`): the credentials are only in its base64 data. Pure.
 */
export function dockerConfigSecret(registry: string, creds: { username: string; password: string }, metadata: KubeObject['metadata']): KubeObject {
  const host = registry.split('/')[0]!;
  const auth = Buffer.from(`${creds.username}:${creds.password}`).toString('base64');
  const config = JSON.stringify({ auths: { [host]: { username: creds.username, password: creds.password, auth } } });
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata,
    type: 'kubernetes.io/dockerconfigjson',
    data: { '.dockerconfigjson': Buffer.from(config).toString('base64') },
  };
}

/** shipped parses a manifest file carried in bundle.json, substitutes values and rewrites images. */
function shipped(path: string, content: string, values: Values, images: ImageMap, namespace: string): KubeObject[] {
  const docs = parseAllDocuments(substitute(content, values, path));
  const out: KubeObject[] = [];
  for (const [i, doc] of docs.entries()) {
    if (doc.errors.length > 0) throw new AirbundleError('MANIFEST_INVALID', `${path} (document ${i + 1}) is not valid YAML: ${doc.errors[0]!.message.split('\n')[0]}`);
    const value: unknown = doc.toJS();
    if (value === null || value === undefined) continue;
    if (!isKubeObject(value)) throw new AirbundleError('MANIFEST_INVALID', `${path} (document ${i + 1}) is not a Kubernetes object: it needs apiVersion, kind and metadata.name`);
    if (!CLUSTER_SCOPED.has(value.kind) && value.metadata.namespace === undefined) value.metadata.namespace = namespace;
    rewriteImages(value, images, `${path}: ${objectId(value)}`);
    out.push(value);
  }
  return out;
}

/** rewriteImages points every container image of an object at the in-cluster registry, by digest. */
function rewriteImages(node: unknown, images: ImageMap, where: string): void {
  if (Array.isArray(node)) {
    for (const item of node) rewriteImages(item, images, where);
    return;
  }
  if (node === null || typeof node !== 'object') return;
  const record = node as Record<string, unknown>;
  for (const key of ['containers', 'initContainers', 'ephemeralContainers']) {
    const list = record[key];
    if (!Array.isArray(list)) continue;
    for (const c of list as Array<Record<string, unknown>>) {
      if (typeof c.image === 'string') c.image = images.resolve(c.image, `${where} container ${String(c.name)}`);
    }
  }
  for (const value of Object.values(record)) rewriteImages(value, images, where);
}

/** substituteDeep substitutes `${VARS}` in every string of a JSON value. */
function substituteDeep(value: unknown, values: Values, where: string): unknown {
  if (typeof value === 'string') return substitute(value, values, where);
  if (Array.isArray(value)) return value.map((v, i) => substituteDeep(v, values, `${where}[${i}]`));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, k === 'content' ? v : substituteDeep(v, values, `${where}.${k}`)]));
  }
  return value;
}
