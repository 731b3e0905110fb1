/**
 * writeChartsList writes `charts.txt` beside the rendered manifests (`--render-only DIR`): the Helm charts the
 * package carries, where they were pushed and the `helm install` command for each, since deploy does not run
 * Helm. A `.txt`, so that `kubectl apply -f DIR` and GitOps tools that read YAML/JSON ignore it.
 */
import { join } from 'node:path';
import { writeFileAtomic } from '../../src/util/fs-atomic.js';
import type { PushedChart } from './push-charts.js';

/** chartsListText renders the list. Pure. */
export function chartsListText(charts: PushedChart[]): string {
  const lines = ['# Helm charts of this Zarf package, pushed as OCI artifacts. bundle deploy does not run Helm: install them with', '# the commands below (values files are inside the package\'s components/<component>.tar).', ''];
  for (const c of charts) {
    lines.push(`chart ${c.chart} ${c.version} (component ${c.component}): ${c.reference} (${c.digest})`, `  ${c.install}`);
    for (const v of c.values) lines.push(`  values: ${v}`);
    lines.push('');
  }
  return lines.join('\n');
}

/** writeChartsList writes `DIR/charts.txt` and returns its path. */
export async function writeChartsList(dir: string, charts: PushedChart[]): Promise<string> {
  const file = join(dir, 'charts.txt');
  await writeFileAtomic(file, chartsListText(charts));
  return file;
}
