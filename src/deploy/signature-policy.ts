import type { KeyObject } from 'node:crypto';
import type { BundleReader } from '../bundle/reader.js';
import { AirbundleError } from '../errors.js';
import type { ProgressSink } from '../progress/events.js';
import { verifyBundleSignature } from '../sign/index.js';

/**
 * checkDeploySignature refuses, before anything is pushed or applied, a bundle that is not signed by one of
 * `keys`. Without keys, deploy refuses outright unless `allowUnsigned`: an operator must decide to trust.
 */
export function checkDeploySignature(reader: BundleReader, keys: KeyObject[], allowUnsigned: boolean, onEvent: ProgressSink): string | undefined {
  if (keys.length === 0) {
    if (!allowUnsigned) {
      throw new AirbundleError('SIGNATURE_MISSING', `deploy checks who signed ${reader.displayName} before touching the cluster, but no --key was given`, {
        hint: 'pass --key PUB (the publisher\'s public key), or --allow-unsigned to deploy without checking',
      });
    }
    onEvent({ type: 'warn', phase: 'deploy', message: `${reader.displayName}: signature not checked (--allow-unsigned)` });
    return undefined;
  }
  if (reader.signature === undefined) {
    throw new AirbundleError('SIGNATURE_MISSING', `${reader.displayName} is unsigned, but --key was given: refusing to deploy it`, { hint: 'sign it with bundle sign, or deploy with --allow-unsigned and no --key' });
  }
  return verifyBundleSignature(reader.signature, reader.manifestBytes, keys).keyHint;
}
