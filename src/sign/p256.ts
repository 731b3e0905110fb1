import type { KeyObject } from 'node:crypto';
import { AirbundleError } from '../errors.js';

/**
 * airbundle signs with ECDSA P-256 + SHA-256 only: Node does it natively (DER signatures, streaming verify), and it
 * is cosign's default. Cosign's Ed25519 keys use Ed25519ph, which Node 20 / OpenSSL 3.0 cannot do.
 */
const P256_NODE_NAME = 'prime256v1';

const CURVE_NAMES: Record<string, string> = {
  prime256v1: 'P-256',
  secp384r1: 'P-384',
  secp521r1: 'P-521',
  secp256k1: 'secp256k1',
};

/** isP256 tells whether `key` is an EC key on the NIST P-256 curve. */
export function isP256(key: KeyObject): boolean {
  return key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === P256_NODE_NAME;
}

/** assertP256 throws KEY_INVALID, naming `source` and the key's algorithm or curve, unless `key` is P-256. */
export function assertP256(key: KeyObject, source: string): void {
  if (isP256(key)) return;
  const hint = 'airbundle signs with ECDSA P-256 keys: make one with `bundle keygen` or `cosign generate-key-pair`';
  if (key.asymmetricKeyType !== 'ec') {
    throw new AirbundleError('KEY_INVALID', `${source} is not an ECDSA P-256 key: it is ${key.asymmetricKeyType ?? 'of an unknown type'}`, {
      hint,
      details: { keyType: key.asymmetricKeyType },
    });
  }
  const curve = key.asymmetricKeyDetails?.namedCurve ?? 'unknown';
  throw new AirbundleError('KEY_INVALID', `${source} is an EC key on curve ${CURVE_NAMES[curve] ?? curve}, not P-256`, {
    hint,
    details: { curve },
  });
}
