/**
 * planCharts finds, for each chart of the selected components (`charts:` in zarf.yaml), its archive in the
 * component tar (`<component>/charts/<name>-<version>.tgz`, Zarf's ChartArchiveName) and its values files
 * (`<component>/values/<name>-<version>-<i>`), and says where `helm push` would put it: repository
 * `<registry>[/prefix]/<Chart.yaml name>`, tag = version with `+` as `_`, as `helm push x.tgz oci://<registry>[/prefix]`
 * does. Charts whose archive is missing or unreadable are reported, not planned. Pure.
 * Reference: zarf.md §1.2; zarf-dev/zarf src/pkg/packager/layout (ChartArchiveName, ChartValuesFileName).
 */
import { parseRegistryTarget } from '../../src/targets/registry/registry-target.js';
import type { ZarfComponent } from '../definition/zarf-definition.types.js';
import type { ReportItem } from '../import/import-report.types.js';
import type { ComponentContent } from '../package/component-reader.js';
import { helmArtifact, type HelmArtifact } from './helm-artifact.js';

/** ChartPlan is one chart to push and how to install it. */
export interface ChartPlan {
  component: string;
  /** Name in zarf.yaml (`charts[].name`). */
  chart: string;
  releaseName: string;
  namespace?: string;
  /** Path inside `components/<component>.tar`. */
  file: string;
  /** Values files inside `components/<component>.tar`, in order. */
  values: string[];
  artifact: HelmArtifact;
  /** Repository inside the registry (`prefix/name`). */
  repository: string;
  /** `oci://HOST/prefix/name` (what `helm install` takes, with `--version`). */
  url: string;
}

/** planCharts plans the charts of `components`; `created` is the package build time (RFC 3339), if known. */
export function planCharts(components: ZarfComponent[], content: Map<string, ComponentContent>, registry: string, created?: string): { plans: ChartPlan[]; report: ReportItem[] } {
  const { host, prefix } = parseRegistryTarget(registry);
  const plans: ChartPlan[] = [];
  const report: ReportItem[] = [];
  for (const c of components) {
    const held = content.get(c.name);
    for (const chart of c.charts ?? []) {
      const where = `component ${c.name}: charts ${chart.name}`;
      const base = chart.version !== undefined ? `${chart.name}-${chart.version}` : chart.name;
      const file = `charts/${base}.tgz`;
      const archive = held?.charts.get(file);
      if (archive === undefined || archive.chartYaml === undefined) {
        report.push({ kind: 'not-carried', where, message: archive === undefined ? `components/${c.name}.tar holds no ${c.name}/${file}: the chart is not pushed` : `${c.name}/${file} is not a chart archive (${archive.problem ?? 'unreadable'}): not pushed` });
        continue;
      }
      const artifact = helmArtifact(archive.chartYaml, archive, `components/${c.name}.tar: ${c.name}/${file}`, created);
      const repository = prefix !== '' ? `${prefix}/${artifact.name}` : artifact.name;
      const values = (held?.others.get('values') ?? []).map((v) => v.path).filter((p) => p.startsWith(`values/${base}-`)).sort(byIndex);
      plans.push({
        component: c.name,
        chart: chart.name,
        releaseName: chart.releaseName ?? chart.name,
        ...(chart.namespace !== undefined ? { namespace: chart.namespace } : {}),
        file: `${c.name}/${file}`,
        values: values.map((v) => `${c.name}/${v}`),
        artifact,
        repository,
        url: `oci://${host}/${repository}`,
      });
    }
  }
  return { plans, report };
}

/** helmInstallCommand is the command that installs a pushed chart (deploy does not run Helm). */
export function helmInstallCommand(p: ChartPlan): string {
  return [`helm install ${p.releaseName} ${p.url} --version ${p.artifact.version}`, ...(p.namespace !== undefined ? [`--namespace ${p.namespace} --create-namespace`] : []), ...p.values.map((v) => `-f ${v.split('/').pop() ?? v}`)].join(' ');
}

/** zarfTimeToRfc3339 turns Zarf's build.timestamp (Go RFC1123Z) into RFC 3339 UTC, or undefined. */
export function zarfTimeToRfc3339(timestamp: unknown): string | undefined {
  if (typeof timestamp !== 'string') return undefined;
  const t = Date.parse(timestamp);
  return Number.isNaN(t) ? undefined : new Date(t).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function byIndex(a: string, b: string): number {
  const n = (s: string): number => Number(/-(\d+)$/.exec(s)?.[1] ?? 0);
  return n(a) - n(b);
}
