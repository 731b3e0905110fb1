import { createPrivateKey, type KeyObject } from 'node:crypto';
import { AirbundleError } from '../errors.js';
import { decryptPrivateKey } from './encrypted-key.js';
import { readKeyFile } from './key-file.js';
import { assertP256 } from './p256.js';
import {
  COSIGN_ENCRYPTED_KEY_LABEL,
  decodePem,
  isPrivateKeyLabel,
  PKCS8_ENCRYPTED_LABEL,
  PKCS8_LABEL,
  SEC1_LABEL,
  SIGSTORE_ENCRYPTED_KEY_LABEL,
  SPKI_LABEL,
  type PemBlock,
} from './pem.js';

const HINT = 'Pass PREFIX.key from `bundle keygen --out PREFIX`, a cosign.key, or an unencrypted PEM EC private key';

/**
 * loadPrivateKey reads an ECDSA P-256 signing key: cosign's encrypted formats (`ENCRYPTED SIGSTORE PRIVATE KEY`,
 * and the older `ENCRYPTED COSIGN PRIVATE KEY`, holding PKCS#8 or SEC1), or plain PEM (`PRIVATE KEY`,
 * `EC PRIVATE KEY`, and passphrase-protected `ENCRYPTED PRIVATE KEY`).
 */
export async function loadPrivateKey(path: string, passphrase: string): Promise<KeyObject> {
  const blocks = decodePem(await readKeyFile(path, 'private'));
  const block = blocks.find((b) => isPrivateKeyLabel(b.label));
  if (block === undefined) {
    if (blocks.some((b) => b.label === SPKI_LABEL)) {
      throw new AirbundleError('KEY_INVALID', `${path} is a public key; signing needs the private key`, {
        hint: 'Pass PREFIX.key, not PREFIX.pub',
      });
    }
    throw new AirbundleError('KEY_INVALID', `${path} holds no PEM private key`, { hint: HINT });
  }
  const key = await privateKeyFromBlock(block, passphrase, path);
  assertP256(key, path);
  return key;
}

async function privateKeyFromBlock(block: PemBlock, passphrase: string, path: string): Promise<KeyObject> {
  switch (block.label) {
    case SIGSTORE_ENCRYPTED_KEY_LABEL:
    case COSIGN_ENCRYPTED_KEY_LABEL:
      return privateKeyFromDer(await decryptPrivateKey(block.der, passphrase, path), `${path} (decrypted)`);
    case PKCS8_LABEL:
    case SEC1_LABEL:
    case PKCS8_ENCRYPTED_LABEL: {
      // OpenSSL's own formats, including legacy `Proc-Type: 4,ENCRYPTED` SEC1; the passphrase is ignored when unused.
      const encrypted = block.label === PKCS8_ENCRYPTED_LABEL || (block.headers['Proc-Type'] ?? '').includes('ENCRYPTED');
      try {
        return createPrivateKey({ key: block.text, format: 'pem', passphrase });
      } catch (err) {
        if (encrypted) {
          throw new AirbundleError('KEY_PASSPHRASE', `wrong passphrase for ${path}: the key did not decrypt`, { cause: err });
        }
        throw new AirbundleError('KEY_INVALID', `${path} has a ${block.label} block that is not a valid key`, { hint: HINT, cause: err });
      }
    }
    default:
      throw new AirbundleError('KEY_INVALID', `${path} is a ${block.label}, which airbundle cannot read`, { hint: HINT });
  }
}

/** privateKeyFromDer reads a private key DER as PKCS#8 (what cosign writes) or SEC1 (older cosign EC keys). */
function privateKeyFromDer(der: Buffer, source: string): KeyObject {
  try {
    return createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
  } catch {
    try {
      return createPrivateKey({ key: der, format: 'der', type: 'sec1' });
    } catch (err) {
      throw new AirbundleError('KEY_INVALID', `${source} is neither a PKCS#8 nor a SEC1 private key`, { hint: HINT, cause: err });
    }
  }
}
