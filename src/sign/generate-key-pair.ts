import { generateKeyPair as generateNodeKeyPair, type KeyObject } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { AirbundleError } from '../errors.js';
import { encryptPrivateKey } from './encrypted-key.js';
import { exists, writeNewFile } from './write-new-file.js';

/** The files {@link generateKeyPair} wrote. */
export interface GeneratedKeyPair {
  /** `PREFIX.key`: cosign-format encrypted private key, mode 0600. */
  privateKey: string;
  /** `PREFIX.pub`: SPKI PEM public key. */
  publicKey: string;
}

/**
 * generateKeyPair makes an ECDSA P-256 key pair as `cosign generate-key-pair` does: `PREFIX.key` sealed under
 * `passphrase` (`ENCRYPTED SIGSTORE PRIVATE KEY`, scrypt N=65536) and `PREFIX.pub` (PEM `PUBLIC KEY`). It never
 * overwrites: KEY_EXISTS if either file is there.
 */
export async function generateKeyPair(prefix: string, passphrase: string): Promise<GeneratedKeyPair> {
  const paths: GeneratedKeyPair = { privateKey: `${prefix}.key`, publicKey: `${prefix}.pub` };
  for (const path of [paths.privateKey, paths.publicKey]) {
    if (await exists(path)) throw keyExists(path);
  }
  const pair = await newP256KeyPair();
  const privatePem = await encryptPrivateKey(pair.privateKey.export({ type: 'pkcs8', format: 'der' }), passphrase);
  const publicPem = pair.publicKey.export({ type: 'spki', format: 'pem' }).toString();
  await mkdir(dirname(paths.privateKey), { recursive: true });
  await publish(paths.privateKey, privatePem, 0o600);
  try {
    await publish(paths.publicKey, publicPem, 0o644);
  } catch (err) {
    // Don't leave half a pair: the .key we just created is useless without its .pub.
    await rm(paths.privateKey, { force: true });
    throw err;
  }
  return paths;
}

function newP256KeyPair(): Promise<{ privateKey: KeyObject; publicKey: KeyObject }> {
  return new Promise((resolve, reject) => {
    generateNodeKeyPair('ec', { namedCurve: 'P-256' }, (err, publicKey, privateKey) =>
      err === null ? resolve({ privateKey, publicKey }) : reject(err),
    );
  });
}

async function publish(path: string, data: string, mode: number): Promise<void> {
  try {
    await writeNewFile(path, data, mode);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw keyExists(path, err);
    throw err;
  }
}

function keyExists(path: string, cause?: unknown): AirbundleError {
  return new AirbundleError('KEY_EXISTS', `${path} already exists; refusing to overwrite a key`, {
    hint: 'Remove the old key files first, or choose another --out prefix',
    cause,
  });
}
