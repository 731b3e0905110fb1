import { createPublicKey, type KeyObject } from 'node:crypto';
import { AirbundleError } from '../errors.js';
import { readKeyFile } from './key-file.js';
import { assertP256 } from './p256.js';
import { decodePem, isPrivateKeyLabel, SPKI_LABEL } from './pem.js';

const HINT = 'Pass PREFIX.pub from `bundle keygen --out PREFIX` or a cosign.pub (a PEM "PUBLIC KEY")';

/** loadPublicKey reads an ECDSA P-256 public key from an SPKI PEM file (`-----BEGIN PUBLIC KEY-----`). */
export async function loadPublicKey(path: string): Promise<KeyObject> {
  const blocks = decodePem(await readKeyFile(path, 'public'));
  const block = blocks.find((b) => b.label === SPKI_LABEL);
  if (block === undefined) {
    if (blocks.some((b) => isPrivateKeyLabel(b.label))) {
      throw new AirbundleError('KEY_INVALID', `${path}: this is a private key; pass the .pub`, {
        hint: 'Verifiers need only the public key: PREFIX.pub beside PREFIX.key, or `cosign public-key --key cosign.key`',
      });
    }
    throw new AirbundleError('KEY_INVALID', `${path} holds no PEM public key`, { hint: HINT });
  }
  let key: KeyObject;
  try {
    key = createPublicKey({ key: block.der, format: 'der', type: 'spki' });
  } catch (err) {
    throw new AirbundleError('KEY_INVALID', `${path} has a PUBLIC KEY block that is not a valid key`, { hint: HINT, cause: err });
  }
  assertP256(key, path);
  return key;
}
