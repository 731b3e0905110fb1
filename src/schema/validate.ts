import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import { AirbundleError } from '../errors.js';
import type { BundleManifest } from './generated/bundle-manifest.js';
import { bundleManifestSchema } from './generated/bundle-manifest.schema.js';
import type { BundleSpec } from './generated/bundle-spec.js';
import { bundleSpecSchema } from './generated/bundle-spec.schema.js';

const ajv = new Ajv2020({ allErrors: true, strict: true, allowUnionTypes: true, verbose: true });
let manifestValidator: ValidateFunction<BundleManifest> | undefined;
let specValidator: ValidateFunction<BundleSpec> | undefined;

/** specValidate returns the compiled validator of bundle.yaml (errors are read by the spec loader). */
export function specValidate(): ValidateFunction<BundleSpec> {
  specValidator ??= ajv.compile<BundleSpec>(bundleSpecSchema);
  return specValidator;
}

/** validateBundleManifest checks a parsed bundle.json against its schema; BUNDLE_CORRUPT names what is wrong. */
export function validateBundleManifest(value: unknown): asserts value is BundleManifest {
  manifestValidator ??= ajv.compile<BundleManifest>(bundleManifestSchema);
  if (manifestValidator(value)) return;
  const problems = (manifestValidator.errors ?? []).slice(0, 5).map(describe);
  throw new AirbundleError('BUNDLE_CORRUPT', `bundle.json does not follow its schema: ${problems.join('; ')}`, {
    hint: 'the bundle was written by an incompatible tool or edited by hand; rebuild it',
  });
}

function describe(e: ErrorObject): string {
  return `${e.instancePath === '' ? '(root)' : e.instancePath} ${e.message ?? 'is invalid'}`;
}
