import type { Artifact, BundleManifest } from '../bundle/manifest.js';
import { AirbundleError } from '../errors.js';

/**
 * findModel picks the artifact named `model` (its name, or its ref such as `models/tiny:0.1.0`). An image of
 * that name, or no match, is a USAGE error that lists the models the bundle has.
 */
export function findModel(manifest: BundleManifest, model: string, bundleName: string): Artifact {
  const found = manifest.artifacts.find((a) => a.name === model) ?? manifest.artifacts.find((a) => a.ref === model);
  const models = manifest.artifacts.filter((a) => a.kind !== 'image').map((a) => a.name);
  const list = models.length === 0 ? 'it has no models' : `its models: ${models.join(', ')}`;
  if (found === undefined) throw new AirbundleError('USAGE', `${bundleName} has no artifact named ${JSON.stringify(model)}`, { hint: `give a model name or ref; ${list}` });
  if (found.kind === 'image') throw new AirbundleError('USAGE', `${model} in ${bundleName} is a container image, not a model`, { hint: `images go to a registry (bundle push); ${list}` });
  return found;
}
