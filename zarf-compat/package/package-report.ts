/**
 * What of a Zarf package `bundle deploy` does not do, component by component: host files, data injections, git
 * repositories, actions, health checks (Helm charts are pushed, not installed: see planCharts). Listed for the operator, never silently skipped.
 */
import { AirbundleError } from '../../src/errors.js';
import type { ZarfComponent, ZarfPackage } from '../definition/zarf-definition.types.js';
import type { ReportItem } from '../import/import-report.types.js';
import type { ComponentContent } from './component-reader.js';

/**
 * selectComponents picks what `zarf package deploy --confirm --components …` deploys: required and default
 * components, plus those named. A name the package does not hold is a USAGE error listing the components.
 */
export function selectComponents(pkg: ZarfPackage, named: string[] = []): { selected: ZarfComponent[]; report: ReportItem[] } {
  const unknown = named.filter((n) => !pkg.components.some((c) => c.name === n));
  if (unknown.length > 0) {
    const all = pkg.components.map((c) => `${c.name}${c.required === true ? ' (required)' : c.default === true ? ' (default)' : ''}`);
    throw new AirbundleError('USAGE', `--components names ${unknown.join(', ')}, which package ${pkg.metadata.name} does not hold; its components: ${all.join(', ')}`, {
      hint: 'name optional components exactly as listed, comma-separated',
      details: { unknown, components: pkg.components.map((c) => c.name) },
    });
  }
  const report: ReportItem[] = [];
  const selected: ZarfComponent[] = [];
  for (const c of pkg.components) {
    if (c.required === true || c.default === true || named.includes(c.name)) selected.push(c);
    else report.push({ kind: 'not-carried', where: `component ${c.name}`, message: 'optional component (neither required nor default): not deployed' });
  }
  return { selected, report };
}

/** notDeployed lists what the selected components hold that bundle deploy does not act on. */
export function notDeployed(components: ZarfComponent[], content: Map<string, ComponentContent>): ReportItem[] {
  const out: ReportItem[] = [];
  for (const c of components) {
    const where = `component ${c.name}`;
    for (const f of c.files ?? []) out.push({ kind: 'not-carried', where: `${where}: files`, message: `file ${f.source} is not placed at ${f.target} on this machine` });
    for (const d of c.dataInjections ?? []) {
      out.push({ kind: 'not-carried', where: `${where}: dataInjections`, message: `data ${d.source} is not injected into ${d.target.namespace}/${d.target.selector} container ${d.target.container} at ${d.target.path}`, hint: 'import the definition with bundle zarf import: data injections become volumes' });
    }
    for (const r of c.repos ?? []) out.push({ kind: 'not-carried', where: `${where}: repos`, message: `git repository ${r} is not pushed: bundles hold no git server content` });
    for (const h of c.healthChecks ?? []) out.push({ kind: 'not-carried', where: `${where}: healthChecks`, message: `health check ${String(h.kind)}/${String(h.name)} is not run (objects applied are waited for)` });
    for (const event of ['onDeploy', 'onRemove'] as const) {
      const set = c.actions?.[event];
      for (const list of ['before', 'after', 'onSuccess', 'onFailure'] as const) {
        for (const a of set?.[list] ?? []) {
          const what = a.wait !== undefined ? `wait${a.description !== undefined ? ` "${a.description}"` : ''}` : `command "${(a.cmd ?? '').trim().split('\n')[0] ?? ''}"`;
          out.push({ kind: 'not-carried', where: `${where}: actions.${event}.${list}`, message: `${what} is not run` });
        }
      }
    }
    const extra = content.get(c.name)?.others;
    for (const kind of ['charts', 'files', 'data', 'repos']) {
      const n = extra?.get(kind)?.length ?? 0;
      if (n > 0 && !(kind === 'charts' && (c.charts?.length ?? 0) > 0) && !(kind === 'files' && (c.files?.length ?? 0) > 0) && !(kind === 'data' && (c.dataInjections?.length ?? 0) > 0) && !(kind === 'repos' && (c.repos?.length ?? 0) > 0)) {
        out.push({ kind: 'not-carried', where: `components/${c.name}.tar`, message: `${n} ${kind} entr${n === 1 ? 'y' : 'ies'} not named by zarf.yaml are not used` });
      }
    }
  }
  return out;
}
