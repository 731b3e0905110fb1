import type { KeyObject } from 'node:crypto';
import { loadPrivateKey, loadPublicKey, signBundleManifest } from '../sign/index.js';
import { readPassphrase } from './passphrase.js';

/** loadTrustedKeys loads every `--key` public key file. */
export async function loadTrustedKeys(paths: string[]): Promise<KeyObject[]> {
  return Promise.all(paths.map((p) => loadPublicKey(p)));
}

/** signerFromKeyFile loads a private key (asking for its passphrase) and returns a bundle.json signer. */
export async function signerFromKeyFile(path: string): Promise<(manifestBytes: Buffer) => Promise<Buffer>> {
  const key = await loadPrivateKey(path, await readPassphrase(`Passphrase for ${path}: `));
  return (bytes) => signBundleManifest(bytes, key);
}
