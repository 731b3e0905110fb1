/**
 * cosign's encrypted private key format, read and written byte-compatibly.
 *
 * The PEM body is the JSON that go-securesystemslib's `encrypted.Encrypt` produces:
 * `{"kdf":{"name":"scrypt","params":{"N","r","p"},"salt"},"cipher":{"name":"nacl/secretbox","nonce"},"ciphertext"}`,
 * byte fields as padded base64 (Go's `[]byte` JSON). The secretbox key is `scrypt(passphrase, salt, N, r, p, 32)`.
 * References: https://github.com/sigstore/cosign/blob/v2.4.1/pkg/cosign/keys.go (`encryptPrivateKey`),
 * https://github.com/secure-systems-lab/go-securesystemslib/blob/v0.8.0/encrypted/encrypted.go.
 * Node has scrypt but no XSalsa20-Poly1305, hence tweetnacl.
 */
import { randomBytes, scrypt } from 'node:crypto';
import nacl from 'tweetnacl';
import { AirbundleError } from '../errors.js';
import { encodePem, SIGSTORE_ENCRYPTED_KEY_LABEL } from './pem.js';

const KDF_NAME = 'scrypt';
const CIPHER_NAME = 'nacl/secretbox';
const SCRYPT_R = 8;
const SCRYPT_P = 1;
/** go-securesystemslib ≥ v0.7.0 (and so current cosign) writes N = 2^16. */
export const SCRYPT_N_STANDARD = 65536;
/** The N values go-securesystemslib's `Decrypt` accepts: legacy 2^15, standard 2^16, OWASP 2^17. */
const ACCEPTED_N: readonly number[] = [32768, 65536, 131072];
const SALT_BYTES = 32;
const KEY_BYTES = 32;

/** Options for {@link encryptPrivateKey}. */
export interface EncryptOptions {
  /** PEM label; default `ENCRYPTED SIGSTORE PRIVATE KEY`. */
  label?: string;
  /** scrypt cost N, one of 32768, 65536 (default) or 131072. */
  scryptN?: number;
}

/** encryptPrivateKey seals a private key DER (PKCS#8 for cosign) under `passphrase` and returns the PEM text. */
export async function encryptPrivateKey(der: Uint8Array, passphrase: string, options: EncryptOptions = {}): Promise<string> {
  const n = options.scryptN ?? SCRYPT_N_STANDARD;
  if (!ACCEPTED_N.includes(n)) throw new RangeError(`scrypt N must be one of ${ACCEPTED_N.join(', ')}`);
  const salt = randomBytes(SALT_BYTES);
  const nonce = randomBytes(nacl.secretbox.nonceLength);
  const key = await deriveKey(passphrase, salt, n);
  const ciphertext = nacl.secretbox(new Uint8Array(der), new Uint8Array(nonce), new Uint8Array(key));
  // Field order matches Go's struct order, so our files look like cosign's.
  const body = {
    kdf: { name: KDF_NAME, params: { N: n, r: SCRYPT_R, p: SCRYPT_P }, salt: salt.toString('base64') },
    cipher: { name: CIPHER_NAME, nonce: nonce.toString('base64') },
    ciphertext: Buffer.from(ciphertext).toString('base64'),
  };
  return encodePem(options.label ?? SIGSTORE_ENCRYPTED_KEY_LABEL, Buffer.from(JSON.stringify(body), 'utf8'));
}

/**
 * decryptPrivateKey opens the JSON body of a cosign encrypted key and returns the inner private key DER.
 * A wrong passphrase is KEY_PASSPHRASE; anything malformed is KEY_INVALID. `source` names the file in messages.
 */
export async function decryptPrivateKey(body: Buffer, passphrase: string, source: string): Promise<Buffer> {
  const sealed = parseSealedKey(body, source);
  const key = await deriveKey(passphrase, sealed.salt, sealed.n);
  const plain = nacl.secretbox.open(new Uint8Array(sealed.ciphertext), new Uint8Array(sealed.nonce), new Uint8Array(key));
  if (plain === null) {
    throw new AirbundleError('KEY_PASSPHRASE', `wrong passphrase for ${source}: the key did not decrypt`, {
      hint: 'Type the passphrase given when the key was made (cosign reads COSIGN_PASSWORD for the same key)',
    });
  }
  return Buffer.from(plain);
}

interface SealedKey {
  n: number;
  salt: Buffer;
  nonce: Buffer;
  ciphertext: Buffer;
}

function parseSealedKey(body: Buffer, source: string): SealedKey {
  const invalid = (why: string): AirbundleError =>
    new AirbundleError('KEY_INVALID', `${source} is not a valid cosign encrypted key: ${why}`, {
      hint: 'The file may be truncated or edited; make a new key with `bundle keygen` or `cosign generate-key-pair`',
    });
  let json: unknown;
  try {
    json = JSON.parse(body.toString('utf8'));
  } catch {
    throw invalid('its body is not JSON');
  }
  const kdf = field(json, 'kdf');
  const params = field(kdf, 'params');
  const cipher = field(json, 'cipher');
  if (field(kdf, 'name') !== KDF_NAME) throw invalid(`unsupported key derivation ${String(field(kdf, 'name'))}`);
  if (field(cipher, 'name') !== CIPHER_NAME) throw invalid(`unsupported cipher ${String(field(cipher, 'name'))}`);
  const n = field(params, 'N');
  if (typeof n !== 'number' || !ACCEPTED_N.includes(n) || field(params, 'r') !== SCRYPT_R || field(params, 'p') !== SCRYPT_P) {
    throw invalid(`unsupported scrypt parameters ${JSON.stringify(params)}`);
  }
  const salt = base64Field(kdf, 'salt');
  const nonce = base64Field(cipher, 'nonce');
  const ciphertext = base64Field(json, 'ciphertext');
  if (salt === undefined || salt.length === 0) throw invalid('missing salt');
  if (nonce === undefined || nonce.length !== nacl.secretbox.nonceLength) throw invalid('missing or bad nonce');
  if (ciphertext === undefined || ciphertext.length <= nacl.secretbox.overheadLength) throw invalid('missing ciphertext');
  return { n, salt, nonce, ciphertext };
}

function field(obj: unknown, name: string): unknown {
  return obj !== null && typeof obj === 'object' ? (obj as Record<string, unknown>)[name] : undefined;
}

function base64Field(obj: unknown, name: string): Buffer | undefined {
  const v = field(obj, name);
  return typeof v === 'string' && /^[A-Za-z0-9+/]*={0,2}$/.test(v) ? Buffer.from(v, 'base64') : undefined;
}

/** deriveKey runs scrypt off the main thread. N = 2^16 needs 64 MiB, over Node's 32 MiB default `maxmem`. */
function deriveKey(passphrase: string, salt: Buffer, n: number): Promise<Buffer> {
  const maxmem = 128 * n * SCRYPT_R * 2;
  return new Promise((resolve, reject) => {
    scrypt(Buffer.from(passphrase, 'utf8'), salt, KEY_BYTES, { N: n, r: SCRYPT_R, p: SCRYPT_P, maxmem }, (err, key) =>
      err === null ? resolve(key) : reject(err),
    );
  });
}
