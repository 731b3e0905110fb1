import { createHash, createPublicKey, type KeyObject } from 'node:crypto';

/**
 * keyHint names a key the way the Sigstore bundle's `verificationMaterial.publicKey.hint` does here: the hex
 * sha256 of the key's SPKI DER. It accepts a private key too (its public half is hinted).
 */
export function keyHint(key: KeyObject): string {
  const publicKey = key.type === 'private' ? createPublicKey(key) : key;
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(spki).digest('hex');
}

/** shortHint is the first 16 hex characters of a key hint, for messages. */
export function shortHint(hint: string): string {
  return hint.length > 16 ? hint.slice(0, 16) : hint;
}
