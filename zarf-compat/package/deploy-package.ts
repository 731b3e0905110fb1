/**
 * deployZarfPackage is `bundle deploy zarf-package-….tar.zst`: read the package once to check every byte
 * (checksums, aggregate checksum, signature) and collect what deploy needs, resolve the variables and render
 * every manifest (all before the registry or the cluster is touched), stream the images into the registry under
 * Zarf's names in a second read, then write the objects out (--render-only) or apply them. Peak extra disk: none.
 */
import type { KeyObject } from 'node:crypto';
import { applyToCluster } from '../../src/deploy/cluster-deploy.js';
import { objectId } from '../../src/deploy/kube-object.js';
import { validateObjects } from '../../src/deploy/validate-objects.js';
import { writeRendered } from '../../src/deploy/write-rendered.js';
import { AirbundleError } from '../../src/errors.js';
import type { Cluster } from '../../src/k8s/cluster.types.js';
import type { RegistryOptions } from '../../src/oci/registry.js';
import { noProgress, type ProgressSink } from '../../src/progress/events.js';
import { helmInstallCommand, planCharts, zarfTimeToRfc3339 } from '../chart/chart-plan.js';
import { writeChartsList } from '../chart/charts-list.js';
import type { PushedChart } from '../chart/push-charts.js';
import { planImages, type ImagePlan } from '../image/image-plan.js';
import type { PushImagesReport } from '../image/push-images.js';
import type { ReportItem } from '../import/import-report.types.js';
import { zarfTemplateValues } from '../manifests/package-templates-values.js';
import { addPullSecrets } from '../manifests/pull-secret.js';
import { renderComponents } from '../manifests/render-components.js';
import { notDeployed, selectComponents } from './package-report.js';
import { openPackageSource } from './package-source.js';
import { pullCredentials } from './pull-credentials.js';
import { pushTo } from './push-to-registry.js';
import { scanPackage, type PackageScan } from './scan-package.js';
import { verifyZarfSignature, type VerifiedZarfSignature } from './zarf-signature.js';

/** ZarfDeployOptions for {@link deployZarfPackage}. */
export interface ZarfDeployOptions {
  /** Registry as cluster nodes reach it: `HOST[:PORT][/PREFIX]`. */
  registry: string;
  connection?: Omit<RegistryOptions, 'onEvent' | 'phase'>;
  /** Publisher keys: the package must be signed by one of them. */
  keys?: KeyObject[];
  /** Deploy without checking a signature (needed when no key is given). */
  allowUnsigned?: boolean;
  /** Zarf variables (`--set NAME=VALUE`, `--values`). */
  values?: Record<string, string>;
  /** Optional components to deploy too. */
  components?: string[];
  /** Write the objects here instead of applying them. */
  renderOnly?: string;
  noPush?: boolean;
  dryRun?: boolean;
  cluster?: Cluster;
  onEvent?: ProgressSink;
  signal?: AbortSignal;
}

/** ZarfDeployReport says what deploy did (or would do). */
export interface ZarfDeployReport {
  package: { name: string; version?: string; file: string };
  signedBy?: VerifiedZarfSignature;
  components: string[];
  push?: PushImagesReport;
  /** Helm charts pushed as OCI artifacts (or, with --dry-run/--no-push, that would be), with how to install them. */
  charts: PushedChart[];
  objects: Array<{ id: string; action: string }>;
  files?: string[];
  /** What was not deployed or needs attention. */
  report: ReportItem[];
  dryRun: boolean;
}

/** deployZarfPackage deploys a Zarf package file (`.tar.zst`, `.tar`, or any `.partNNN` of a split one). */
export async function deployZarfPackage(path: string, options: ZarfDeployOptions): Promise<ZarfDeployReport> {
  const onEvent = options.onEvent ?? noProgress;
  const keys = options.keys ?? [];
  const source = await openPackageSource(path);
  if (keys.length === 0 && options.allowUnsigned !== true) {
    throw new AirbundleError('SIGNATURE_MISSING', `deploy checks who signed ${source.name} before touching the cluster, but no --key was given`, {
      hint: 'pass --key PUB (the publisher\'s cosign public key), or --allow-unsigned to deploy without checking',
    });
  }
  let signedBy: VerifiedZarfSignature | undefined;
  const scan = await scanPackage(source, {
    onEvent,
    ...(options.signal !== undefined ? { signal: options.signal } : {}),
    trust: (definition, signatures) => {
      signedBy = checkSignature(source.name, definition, signatures, keys, onEvent);
      return signedBy !== undefined;
    },
  });
  const { selected, report } = selectComponents(scan.pkg, options.components);
  report.push(...notDeployed(selected, scan.components));
  const plans = planImages(unique(selected.flatMap((c) => c.images ?? [])), scan, options.registry);
  const charts = planCharts(selected, scan.components, options.registry, zarfTimeToRfc3339(scan.pkg.build?.timestamp));
  report.push(...charts.report);
  const { templates } = await zarfTemplateValues(scan.pkg, options.values ?? {}, options.registry);
  const rendered = renderComponents({ components: selected, content: scan.components, templates, images: pinnedImages(plans) });
  const creds = await pullCredentials(options.registry, options.connection);
  const objects = creds !== undefined ? addPullSecrets(rendered.objects, options.registry, creds, scan.pkg.metadata.name) : rendered.objects;
  validateObjects(objects);
  report.push(...rendered.report);
  for (const r of rendered.report) onEvent({ type: 'warn', phase: 'deploy', message: `${r.where}: ${r.message}` });
  const result: ZarfDeployReport = {
    package: { name: scan.pkg.metadata.name, ...(scan.pkg.metadata.version !== undefined ? { version: scan.pkg.metadata.version } : {}), file: source.name },
    ...(signedBy !== undefined ? { signedBy } : {}),
    components: selected.map((c) => c.name),
    charts: charts.plans.map((p) => ({ component: p.component, chart: p.chart, version: p.artifact.version, reference: `${p.url}:${p.artifact.tag}`, digest: p.artifact.manifest.desc.digest, install: helmInstallCommand(p), values: p.values })),
    objects: [],
    report,
    dryRun: options.dryRun === true,
  };
  if (options.dryRun === true) {
    result.objects = objects.map((o) => ({ id: objectId(o), action: 'would apply' }));
    return result;
  }
  if (options.noPush !== true && (plans.length > 0 || charts.plans.length > 0)) {
    const pushed = await pushTo(source, plans, options, onEvent, charts.plans);
    if (plans.length > 0) result.push = pushed.images;
    result.charts = pushed.charts;
  }
  if (options.renderOnly !== undefined) {
    result.files = await writeRendered(options.renderOnly, objects);
    if (result.charts.length > 0) result.files.push(await writeChartsList(options.renderOnly, result.charts));
    result.objects = objects.map((o) => ({ id: objectId(o), action: 'rendered' }));
    return result;
  }
  if (options.cluster === undefined) throw new AirbundleError('USAGE', 'deploy needs a cluster (--kubeconfig) unless --render-only or --dry-run');
  const namespace = objects.find((o) => o.kind === 'Namespace')?.metadata.name ?? 'default';
  onEvent({ type: 'phase-start', phase: 'apply', title: `Apply ${objects.length} objects` });
  result.objects = await applyToCluster(options.cluster, objects, {
    bundle: scan.pkg.metadata.name,
    namespace,
    streams: [],
    onEvent,
    ...(options.signal !== undefined ? { signal: options.signal } : {}),
  });
  onEvent({ type: 'phase-end', phase: 'apply', title: `Apply ${objects.length} objects` });
  return result;
}

/** checkSignature verifies zarf.yaml with the publisher keys; without keys (--allow-unsigned) it only warns. */
export function checkSignature(name: string, definition: Buffer, signatures: PackageScan['signatures'], keys: KeyObject[], onEvent: ProgressSink): VerifiedZarfSignature | undefined {
  if (keys.length === 0) {
    onEvent({ type: 'warn', phase: 'deploy', message: `${name}: signature not checked (--allow-unsigned)` });
    return undefined;
  }
  return verifyZarfSignature(definition, signatures, keys);
}

/** pinnedImages maps each image's normalized reference to its Zarf name pinned by digest. */
function pinnedImages(plans: ImagePlan[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const p of plans) out.set(p.ref.reference, p.target.checksumTag !== undefined ? `${p.target.checksummed}@${p.root.digest}` : p.target.checksummed);
  return out;
}

function unique(list: string[]): string[] {
  return [...new Set(list)];
}
