/**
 * pushTo connects to a registry (`HOST[:PORT][/PREFIX]`), checks it answers, and streams the planned images of a
 * package into it (see pushImages), then its planned Helm charts (see pushCharts).
 */
import { Registry, type RegistryOptions } from '../../src/oci/registry.js';
import type { ProgressSink } from '../../src/progress/events.js';
import { parseRegistryTarget } from '../../src/targets/registry/registry-target.js';
import type { ChartPlan } from '../chart/chart-plan.js';
import { pushCharts, type PushedChart } from '../chart/push-charts.js';
import type { ImagePlan } from '../image/image-plan.js';
import { pushImages, type PushImagesReport } from '../image/push-images.js';
import type { PackageSource } from './package-source.js';

/** pushTo connects to the registry and streams the planned images, then the planned charts, into it. */
export async function pushTo(
  source: PackageSource,
  plans: ImagePlan[],
  options: { registry: string; connection?: Omit<RegistryOptions, 'onEvent' | 'phase'>; signal?: AbortSignal },
  onEvent: ProgressSink,
  charts: ChartPlan[] = [],
): Promise<{ images: PushImagesReport; charts: PushedChart[] }> {
  const { host } = parseRegistryTarget(options.registry);
  const registry = new Registry(host, { ...options.connection, onEvent, phase: 'push' });
  try {
    await registry.ping(options.signal !== undefined ? { signal: options.signal } : {});
    const sig = options.signal !== undefined ? { signal: options.signal } : {};
    const images = await pushImages(source, plans, registry, { registry: options.registry, onEvent, ...sig });
    return { images, charts: charts.length > 0 ? await pushCharts(source, charts, registry, { onEvent, ...sig }) : [] };
  } finally {
    registry.close();
  }
}
