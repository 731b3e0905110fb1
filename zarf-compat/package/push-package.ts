/**
 * pushZarfPackage is `bundle push zarf-package-….tar.zst` (Zarf's `package mirror-resources --images`): check the
 * whole package in one read, then stream every image of every component into the registry under Zarf's names.
 * With keys, the signature must verify first.
 */
import type { KeyObject } from 'node:crypto';
import type { RegistryOptions } from '../../src/oci/registry.js';
import { noProgress, type ProgressSink } from '../../src/progress/events.js';
import { planImages } from '../image/image-plan.js';
import type { PushImagesReport } from '../image/push-images.js';
import { pushTo } from './push-to-registry.js';
import { openPackageSource } from './package-source.js';
import { scanPackage } from './scan-package.js';
import { verifyZarfSignature, type VerifiedZarfSignature } from './zarf-signature.js';

/** ZarfPushOptions for {@link pushZarfPackage}. */
export interface ZarfPushOptions {
  /** `HOST[:PORT][/PREFIX]`. */
  registry: string;
  connection?: Omit<RegistryOptions, 'onEvent' | 'phase'>;
  /** When given, the package must be signed by one of them. */
  keys?: KeyObject[];
  onEvent?: ProgressSink;
  signal?: AbortSignal;
}

/** ZarfPushReport says what was pushed. */
export interface ZarfPushReport {
  package: { name: string; version?: string; file: string };
  signedBy?: VerifiedZarfSignature;
  push: PushImagesReport;
}

/** pushZarfPackage pushes the images of a Zarf package file to a registry. */
export async function pushZarfPackage(path: string, options: ZarfPushOptions): Promise<ZarfPushReport> {
  const onEvent = options.onEvent ?? noProgress;
  const source = await openPackageSource(path);
  const keys = options.keys ?? [];
  let signedBy: VerifiedZarfSignature | undefined;
  const scan = await scanPackage(source, {
    onEvent,
    ...(options.signal !== undefined ? { signal: options.signal } : {}),
    trust: (definition, signatures) => {
      if (keys.length > 0) signedBy = verifyZarfSignature(definition, signatures, keys);
      return signedBy !== undefined;
    },
  });
  const images = [...new Set(scan.pkg.components.flatMap((c) => c.images ?? []))];
  const plans = planImages(images, scan, options.registry);
  const { images: push } = await pushTo(source, plans, options, onEvent);
  return {
    package: { name: scan.pkg.metadata.name, ...(scan.pkg.metadata.version !== undefined ? { version: scan.pkg.metadata.version } : {}), file: source.name },
    ...(signedBy !== undefined ? { signedBy } : {}),
    push,
  };
}
