import { createHash } from 'node:crypto';
import { AirbundleError } from '../errors.js';

/** Digest is an OCI content digest, `sha256:<64 lowercase hex>`. Only sha256 is produced or accepted. */
export type Digest = string & { readonly __brand: 'Digest' };

const SHA256_RE = /^sha256:[a-f0-9]{64}$/;

/** isDigest tells whether `value` is a well-formed sha256 digest. */
export function isDigest(value: unknown): value is Digest {
  return typeof value === 'string' && SHA256_RE.test(value);
}

/** parseDigest checks `value` and brands it, or throws DIGEST_INVALID naming `what`. */
export function parseDigest(value: string, what = 'digest'): Digest {
  if (!isDigest(value)) {
    throw new AirbundleError('DIGEST_INVALID', `${what} "${value}" is not a sha256 digest`, {
      hint: 'a digest is "sha256:" followed by 64 lowercase hex characters',
    });
  }
  return value;
}

/** digestHex returns the hex part of a digest. */
export function digestHex(digest: Digest): string {
  return digest.slice('sha256:'.length);
}

/** digestFromHex brands a 64-hex string as a sha256 digest. */
export function digestFromHex(hex: string): Digest {
  return parseDigest(`sha256:${hex.toLowerCase()}`);
}

/** sha256Digest hashes bytes held in memory (manifests, configs, small JSON only). */
export function sha256Digest(data: Uint8Array | string): Digest {
  return `sha256:${createHash('sha256').update(data).digest('hex')}` as Digest;
}
