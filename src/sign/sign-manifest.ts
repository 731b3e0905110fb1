import { sign, type KeyObject } from 'node:crypto';
import { dsse } from '@sigstore/core';
import { AirbundleError } from '../errors.js';
import { keyHint } from './key-hint.js';
import { assertP256 } from './p256.js';
import { encodeSignatureBundle } from './signature-bundle.js';
import { bundleStatement, IN_TOTO_PAYLOAD_TYPE } from './statement.js';

/**
 * signBundleManifest signs bundle.json offline and returns the bytes of bundle.sig: a Sigstore bundle v0.3 whose
 * DSSE envelope holds the in-toto statement over bundle.json, signed ECDSA P-256/SHA-256 (DER) over the DSSE PAE,
 * with the key named by `publicKey.hint` and no Rekor or TSA material (`@sigstore/verify` accepts it with its
 * tlog, ctlog and timestamp thresholds at 0). ECDSA signatures are randomised: the JSON shape is fixed, the bytes not.
 * Reference: https://github.com/secure-systems-lab/dsse/blob/v1.0.0/protocol.md (PAE)
 */
export async function signBundleManifest(manifestBytes: Buffer, key: KeyObject): Promise<Buffer> {
  if (key.type !== 'private') {
    throw new AirbundleError('KEY_INVALID', `signing needs a private key, got a ${key.type} key`, {
      hint: 'Pass PREFIX.key, not PREFIX.pub',
    });
  }
  assertP256(key, 'the signing key');
  const payload = Buffer.from(JSON.stringify(bundleStatement(manifestBytes)), 'utf8');
  const pae = dsse.preAuthEncoding(IN_TOTO_PAYLOAD_TYPE, payload);
  const signature = await new Promise<Buffer>((resolve, reject) => {
    sign('sha256', pae, key, (err, sig) => (err === null ? resolve(sig) : reject(err)));
  });
  return encodeSignatureBundle(payload, signature, keyHint(key));
}
