import type { KeyObject } from 'node:crypto';
import { BundleReader } from '../bundle/reader.js';
import type { RegistryOptions } from '../oci/registry.js';
import { noProgress, type ProgressSink } from '../progress/events.js';
import { pushBundle, type PushReport } from '../targets/registry/push-bundle.js';
import type { BundleSpec } from '../schema/generated/bundle-spec.js';
import { objectId } from './kube-object.js';
import { applyToCluster } from './cluster-deploy.js';
import { ImageMap } from './image-map.js';
import { AirbundleError } from '../errors.js';
import type { Cluster } from '../k8s/cluster.types.js';
import { streamLoader } from '../materialize/pvc-loader.js';
import { planModelcars, pushModelcars, modelcarRequests, type ModelcarRef, type PlannedModelcar } from './modelcars.js';
import { deploySection, renderDeploy } from './render.js';
import { checkDeploySignature } from './signature-policy.js';
import { findModel } from '../materialize/find-model.js';
import type { MaterializePlan } from '../materialize/materialize-plan.js';
import { planMaterialization } from '../materialize/plan-materialization.js';
import { resolveValues } from './values.js';
import { writeRendered } from './write-rendered.js';

/** DeployOptions for {@link deployBundle}. */
export interface DeployOptions {
  /** In-cluster registry, `HOST[:PORT][/PREFIX]`. */
  registry: string;
  connection?: Omit<RegistryOptions, 'onEvent' | 'phase'>;
  namespace?: string;
  /** Variable values from --set and --values. */
  values?: Record<string, string>;
  keys?: KeyObject[];
  allowUnsigned?: boolean;
  /** Write the objects as YAML here instead of applying them (content is still pushed unless `noPush`). */
  renderOnly?: string;
  noPush?: boolean;
  /** Only say what would happen. */
  dryRun?: boolean;
  /** The cluster (absent with renderOnly or dryRun). */
  cluster?: Cluster;
  onEvent?: ProgressSink;
  signal?: AbortSignal;
}

/** DeployReport says what deploy did (or would do, with dryRun). */
export interface DeployReport {
  namespace: string;
  signedBy?: string;
  push?: PushReport;
  /** Modelcars built (and pushed, unless noPush), reused from the registry, or that a dry run would build. */
  modelcars?: Array<Omit<PlannedModelcar, 'built'>>;
  objects: Array<{ id: string; action: string }>;
  files?: string[];
  dryRun: boolean;
}

/**
 * deployBundle is the airgap operator's command: check the signature, check the values, render and validate
 * every object (all before anything is touched), push the content to the in-cluster registry, then apply the
 * objects and wait for them, or write them out for GitOps. Every step is idempotent: a re-run finishes the job.
 */
export async function deployBundle(path: string, options: DeployOptions): Promise<DeployReport> {
  const onEvent = options.onEvent ?? noProgress;
  const reader = await BundleReader.open(path);
  try {
    const signedBy = checkDeploySignature(reader, options.keys ?? [], options.allowUnsigned === true, onEvent);
    const spec = reader.manifest.spec as unknown as BundleSpec;
    const values = resolveValues(spec.deploy?.variables ?? [], options.values ?? {});
    const creds = options.connection?.username !== undefined && options.connection.password !== undefined ? { username: options.connection.username, password: options.connection.password } : undefined;
    const volumePlans = new Map<string, MaterializePlan>();
    for (const v of spec.deploy?.volumes ?? []) {
      const model = findModel(reader.manifest, v.model, reader.displayName);
      volumePlans.set(v.name, await planMaterialization(reader, model, v.layout ?? 'hf-cache'));
    }
    const sig = options.signal !== undefined ? { signal: options.signal } : {};
    const connection = options.connection !== undefined ? { connection: options.connection } : {};
    const render = (refs: Map<string, ModelcarRef>) =>
      renderDeploy(reader.manifest, {
        registry: options.registry,
        values,
        volumePlans,
        modelcars: refs,
        plainHttp: options.connection?.plainHttp === true,
        ...(options.namespace !== undefined ? { namespace: options.namespace } : {}),
        ...(creds !== undefined ? { credentials: creds } : {}),
      });
    // Modelcars take a pass over their model to learn their digest: render and validate by tag first, so a
    // mistake in the deploy section is reported before that pass.
    const requests = modelcarRequests(reader.manifest, deploySection(reader.manifest, values));
    const planOptions = { registry: options.registry, ...connection, noPush: options.noPush === true, onEvent, ...sig };
    let modelcars = await planModelcars(reader, requests, { ...planOptions, dryRun: true, onEvent: options.dryRun === true ? onEvent : noProgress });
    let rendered = render(modelcars.refs);
    if (requests.length > 0 && options.dryRun !== true) {
      modelcars = await planModelcars(reader, requests, planOptions);
      rendered = render(modelcars.refs);
    }
    const report: DeployReport = { namespace: rendered.namespace, ...(signedBy !== undefined ? { signedBy } : {}), objects: [], dryRun: options.dryRun === true };
    if (modelcars.planned.length > 0) report.modelcars = modelcars.planned.map(({ built: _built, ...p }) => p);
    if (options.dryRun === true) {
      report.objects = rendered.objects.map((o) => ({ id: objectId(o), action: 'would apply' }));
      return report;
    }
    if (options.noPush !== true) {
      report.push = await pushBundle(path, { registry: options.registry, ...connection, onEvent, ...sig });
      await pushModelcars(modelcars.planned, { registry: options.registry, ...connection, onEvent, ...sig });
    }
    if (options.renderOnly !== undefined) {
      report.files = await writeRendered(options.renderOnly, rendered.objects);
      report.objects = rendered.objects.map((o) => ({ id: objectId(o), action: 'rendered' }));
      return report;
    }
    if (options.cluster === undefined) throw new AirbundleError('USAGE', 'deploy needs a cluster (--kubeconfig) unless --render-only or --dry-run');
    const streams = (rendered.deploy.volumes ?? [])
      .filter((v) => v.transport === 'stream')
      .map((v) => ({
        claim: v.name,
        loader: streamLoader(volumePlans.get(v.name)!),
        image: new ImageMap(reader.manifest.artifacts, options.registry).resolve(
          rendered.deploy.loaderImage ?? (() => {
            throw new AirbundleError('MANIFEST_INVALID', `deploy volume ${v.name} is filled through a loader pod, which needs deploy.loaderImage`);
          })(),
          'deploy.loaderImage',
        ),
      }));
    onEvent({ type: 'phase-start', phase: 'apply', title: `Apply ${rendered.objects.length} objects to namespace ${rendered.namespace}` });
    report.objects = await applyToCluster(options.cluster, rendered.objects, { bundle: reader.manifest.name, namespace: rendered.namespace, streams, onEvent, ...sig });
    onEvent({ type: 'phase-end', phase: 'apply', title: `Apply ${rendered.objects.length} objects to namespace ${rendered.namespace}` });
    return report;
  } finally {
    await reader.close();
  }
}
