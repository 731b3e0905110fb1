/**
 * The parts of a Zarf component a bundle carries only in part, or not at all, reported for `bundle zarf import`:
 * Helm charts (OCI charts become image entries; others are listed) and actions (never run).
 */
import type { ZarfAction, ZarfChart, ZarfComponent } from '../definition/zarf-definition.types.js';
import type { ReportItem } from './import-report.types.js';

/** Add records one report entry. */
export type Add = (kind: ReportItem['kind'], where: string, message: string, hint?: string) => void;

/** convertChart carries an OCI chart as an image entry (`addImage`) and reports every chart. */
export function convertChart(
  chart: ZarfChart,
  where: string,
  addImage: (ref: string, where: string) => void,
  add: Add,
): void {
  const values = [...(chart.valuesFiles ?? []), ...(chart.templatedValuesFiles ?? [])];
  const install = `bundle deploy does not install Helm charts${values.length > 0 ? ` (values files ${values.join(', ')} are not carried)` : ''}`;
  if (chart.url?.startsWith('oci://') === true && chart.version !== undefined) {
    const ref = `${chart.url.replace(/^oci:\/\//, '')}${chart.version.startsWith('sha256:') ? '@' : ':'}${chart.version}`;
    addImage(ref, where);
    add('changed', where, `carried as the Helm OCI artifact ${ref}; ${install}`, 'after the push, install it from the in-cluster registry with helm install oci://…');
    return;
  }
  const kind = chart.localPath !== undefined ? `local chart ${chart.localPath}` : chart.gitPath !== undefined || /\.git(@|$)/.test(chart.url ?? '') ? `git chart ${chart.url ?? ''}` : `Helm repository chart ${chart.url ?? ''} ${chart.repoName ?? chart.name}@${chart.version ?? ''}`;
  add('not-carried', where, `${kind} is not carried; ${install}`, 'package it and push it to an OCI registry (helm package; helm push), then list it as oci://HOST/REPO:VERSION under images');
}

/** reportActions lists every action of a component: bundles run no commands. */
export function reportActions(c: ZarfComponent, where: string, add: Add): void {
  for (const event of ['onCreate', 'onDeploy', 'onRemove'] as const) {
    const set = c.actions?.[event];
    if (set === undefined) continue;
    for (const list of ['before', 'after', 'onSuccess', 'onFailure'] as const) {
      for (const [i, a] of (set[list] ?? []).entries()) add('not-carried', `${where}: actions.${event}.${list}[${i}]`, `${describeAction(a)} is not run`, actionHint(event, a));
    }
  }
}

function describeAction(a: ZarfAction): string {
  if (a.wait !== undefined) return `wait${a.description !== undefined ? ` "${a.description}"` : ''}`;
  const first = (a.cmd ?? '').trim().split('\n')[0] ?? '';
  return `command "${first.length > 60 ? `${first.slice(0, 57)}…` : first}"`;
}

function actionHint(event: string, a: ZarfAction): string | undefined {
  if (event === 'onCreate') return 'run it before bundle build';
  if (a.wait !== undefined) return 'bundle deploy waits for the Deployments, StatefulSets, DaemonSets, Jobs and Pods it applies';
  return undefined;
}
