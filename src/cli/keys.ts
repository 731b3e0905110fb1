import type { KeyObject } from 'node:crypto';
import { loadPrivateKey, loadPublicKey, signBundleManifest } from '../sign/index.js';
import { readPassphrase } from './passphrase.js';

/** loadTrustedKeys loads every `--key` public key file. */
export async function loadTrustedKeys(paths: string[]): Promise<KeyObject[]> {
  return Promise.all(paths.map((p) => loadPublicKey(p)));
}

/** privateKeyFromFile loads a private key, asking for its passphrase (AIRBUNDLE_PASSPHRASE, else the terminal). */
export async function privateKeyFromFile(path: string): Promise<KeyObject> {
  return loadPrivateKey(path, await readPassphrase(`Passphrase for ${path}: `));
}

/** signerFromKeyFile loads a private key (asking for its passphrase) and returns a bundle.json signer. */
export async function signerFromKeyFile(path: string): Promise<(manifestBytes: Buffer) => Promise<Buffer>> {
  const key = await privateKeyFromFile(path);
  return (bytes) => signBundleManifest(bytes, key);
}
