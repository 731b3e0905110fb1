/**
 * pushCharts puts the planned charts into the registry as `helm push` would: the config from memory, the chart
 * archive streamed out of its component tar as that tar streams past in the package (parsed on the fly, verified
 * against the digest the first pass recorded, never extracted), then the manifest under the version tag. The walk
 * stops after the last component it needs (component tars sort before images/, so this reads only the start of the
 * package). Archives the registry already has are not read at all.
 */
import { Readable } from 'node:stream';
import tar from 'tar-stream';
import { AirbundleError } from '../../src/errors.js';
import type { Registry } from '../../src/oci/registry.js';
import type { ProgressSink } from '../../src/progress/events.js';
import { sendEntry } from '../image/push-images.js';
import type { PackageSource } from '../package/package-source.js';
import { walkPackage } from '../package/walk-package.js';
import { drainOrClose } from '../util/drain-or-close.js';
import { helmInstallCommand, type ChartPlan } from './chart-plan.js';

/** PushedChart is one chart as it now is in the registry, with how to install it. */
export interface PushedChart {
  component: string;
  chart: string;
  version: string;
  /** `oci://HOST/prefix/name:tag`. */
  reference: string;
  digest: string;
  /** The `helm install …` command (deploy does not run Helm). */
  install: string;
  /** Values files inside `components/<component>.tar`. */
  values: string[];
}

/** pushCharts pushes `plans` from the package in `source` to `registry`. */
export async function pushCharts(source: PackageSource, plans: ChartPlan[], registry: Registry, options: { onEvent?: ProgressSink; signal?: AbortSignal; maxPasses?: number } = {}): Promise<PushedChart[]> {
  const { signal, onEvent } = options;
  const sig = signal !== undefined ? { signal } : {};
  const missing = new Map<string, ChartPlan>();
  for (const p of plans) {
    const repo = registry.repository(p.repository);
    const { desc, bytes } = p.artifact.config;
    if (!(await repo.exists(desc, sig))) await repo.push(desc, () => Promise.resolve(Readable.from([bytes])), sig);
    if (!(await repo.exists(p.artifact.layer, sig))) missing.set(p.file, p);
  }
  const title = `Push ${plans.length} Helm chart${plans.length === 1 ? '' : 's'}`;
  onEvent?.({ type: 'phase-start', phase: 'push', title });
  for (let pass = 1; missing.size > 0; pass += 1) {
    if (pass > (options.maxPasses ?? 3)) throw new AirbundleError('REGISTRY_ERROR', `${missing.size} chart archive(s) could still not be pushed after ${pass - 1} passes`, { hint: 'run the deploy again: what is already in the registry is not sent again' });
    const components = new Set([...missing.values()].map((p) => p.component));
    const done = new Set<string>();
    await walkPackage(
      source,
      async (entry) => {
        const component = /^components\/([^/]+)\.tar$/.exec(entry.name)?.[1];
        if (component === undefined || !components.has(component)) return;
        await sendFromComponent(entry.body, missing, registry, signal);
        done.add(component);
        return done.size === components.size ? 'stop' : undefined;
      },
      sig,
    );
    if (done.size < components.size) throw new AirbundleError('ZARF_PACKAGE_CORRUPT', `${source.name} no longer holds the component tar of ${[...components].filter((c) => !done.has(c)).join(', ')}: it changed since it was checked`);
  }
  const pushed: PushedChart[] = [];
  for (const p of plans) {
    await registry.repository(p.repository).pushManifest(p.artifact.manifest.desc, p.artifact.manifest.bytes, p.artifact.tag, sig);
    pushed.push({ component: p.component, chart: p.chart, version: p.artifact.version, reference: `${p.url}:${p.artifact.tag}`, digest: p.artifact.manifest.desc.digest, install: helmInstallCommand(p), values: p.values });
    onEvent?.({ type: 'item-end', phase: 'push', item: `${p.url}:${p.artifact.tag}` });
  }
  onEvent?.({ type: 'phase-end', phase: 'push', title });
  return pushed;
}

/** sendFromComponent parses a component tar as it streams, uploading the archives in `missing` (removed once sent). */
async function sendFromComponent(body: AsyncIterable<Buffer>, missing: Map<string, ChartPlan>, registry: Registry, signal: AbortSignal | undefined): Promise<void> {
  const extract = tar.extract();
  let parseError: unknown;
  extract.on('error', (err: unknown) => {
    parseError ??= err;
  });
  const consumer = (async () => {
    for await (const e of extract) {
      const name = e.header.name.replace(/^\.\/+/, '');
      const plan = e.header.type === 'file' ? missing.get(name) : undefined;
      if (plan === undefined) {
        e.resume();
        continue;
      }
      const repo = registry.repository(plan.repository);
      if (await sendEntry({ name, size: e.header.size, body: e as AsyncIterable<unknown> as AsyncIterable<Buffer> }, plan.artifact.layer, repo, () => undefined, signal)) missing.delete(name);
    }
  })();
  consumer.catch(() => undefined);
  for await (const chunk of body) {
    if (extract.destroyed) continue;
    if (!extract.write(chunk)) await drainOrClose(extract);
  }
  if (!extract.destroyed) extract.end(undefined);
  await consumer;
  if (parseError !== undefined) throw new AirbundleError('ZARF_PACKAGE_CORRUPT', `a component tar changed since the package was checked: ${(parseError as Error).message}`);
}
