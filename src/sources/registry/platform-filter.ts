import type { Descriptor } from '../../content/descriptor.js';
import { AirbundleError } from '../../errors.js';

/** platformName renders a descriptor's platform as `os/arch[/variant]`. */
export function platformName(desc: Descriptor): string | undefined {
  const p = desc.platform;
  if (p === undefined) return undefined;
  return [p.os, p.architecture, p.variant].filter((x) => x !== undefined && x !== '').join('/');
}

/** matchesPlatform tells whether `desc` is for `wanted` (`linux/arm64` matches `linux/arm64/v8`). */
export function matchesPlatform(desc: Descriptor, wanted: string): boolean {
  const name = platformName(desc);
  if (name === undefined) return false;
  return name === wanted || name.startsWith(`${wanted}/`);
}

/**
 * selectPlatforms picks, from an index's manifests, one per wanted platform (in the order asked). Attestation
 * manifests (`unknown/unknown`) are never picked. Pure; names every platform that is missing.
 */
export function selectPlatforms(manifests: Descriptor[], wanted: string[], what: string): Descriptor[] {
  const picked: Descriptor[] = [];
  const missing: string[] = [];
  for (const w of wanted) {
    const found = manifests.find((m) => matchesPlatform(m, w));
    if (found === undefined) missing.push(w);
    else if (!picked.includes(found)) picked.push(found);
  }
  if (missing.length > 0) {
    const offered = manifests.map(platformName).filter((n) => n !== undefined && n !== 'unknown/unknown');
    throw new AirbundleError('SOURCE_NOT_FOUND', `${what} has no ${missing.join(', ')} image; it offers ${offered.join(', ') || 'no platforms'}`, {
      hint: 'fix platforms: in bundle.yaml',
    });
  }
  return picked;
}
