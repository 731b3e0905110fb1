/**
 * pushTo connects to a registry (`HOST[:PORT][/PREFIX]`), checks it answers, and streams the planned images of a
 * package into it (see pushImages).
 */
import { Registry, type RegistryOptions } from '../../src/oci/registry.js';
import type { ProgressSink } from '../../src/progress/events.js';
import { parseRegistryTarget } from '../../src/targets/registry/registry-target.js';
import type { ImagePlan } from '../image/image-plan.js';
import { pushImages, type PushImagesReport } from '../image/push-images.js';
import type { PackageSource } from './package-source.js';

/** pushTo connects to the registry and streams the planned images into it. */
export async function pushTo(source: PackageSource, plans: ImagePlan[], options: { registry: string; connection?: Omit<RegistryOptions, 'onEvent' | 'phase'>; signal?: AbortSignal }, onEvent: ProgressSink): Promise<PushImagesReport> {
  const { host } = parseRegistryTarget(options.registry);
  const registry = new Registry(host, { ...options.connection, onEvent, phase: 'push' });
  try {
    await registry.ping(options.signal !== undefined ? { signal: options.signal } : {});
    return await pushImages(source, plans, registry, { registry: options.registry, onEvent, ...(options.signal !== undefined ? { signal: options.signal } : {}) });
  } finally {
    registry.close();
  }
}
