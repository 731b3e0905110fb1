import { createPublicKey, type KeyObject } from 'node:crypto';
import { toSignedEntity, VerificationError, Verifier, type TrustMaterial } from '@sigstore/verify';
import { AirbundleError, errorMessage } from '../errors.js';
import { keyHint, shortHint } from './key-hint.js';
import { parseSignatureBundle, signatureKeyHint, type SignatureBundle } from './signature-bundle.js';
import { sha256Hex, signedManifestSha256 } from './statement.js';

/** The result of {@link verifyBundleSignature}. */
export interface VerifiedSignature {
  /** Hint (hex sha256 of the SPKI DER) of the trusted key that made the signature. */
  keyHint: string;
}

/**
 * verifyBundleSignature checks, offline and synchronously, that `sig` (bundle.sig) was made by one of `keys` over an
 * in-toto statement whose bundle.json subject is sha256(`manifestBytes`). Throws SIGNATURE_INVALID otherwise.
 * The key named by the bundle's hint is tried first; if no key has that hint, each key is tried (hints are not
 * standardised, so another signer may compute them differently).
 */
export function verifyBundleSignature(sig: Buffer, manifestBytes: Buffer, keys: KeyObject[]): VerifiedSignature {
  const bundle = parseSignatureBundle(sig);
  const claimed = signatureKeyHint(bundle);
  const trusted = keys.map((k) => {
    const publicKey = k.type === 'private' ? createPublicKey(k) : k;
    return { key: publicKey, hint: keyHint(publicKey) };
  });
  const named = trusted.filter((t) => t.hint === claimed);
  const candidates = named.length > 0 ? named : trusted;
  const signer = candidates.find((t) => signatureVerifies(bundle, t.key));
  if (signer === undefined) {
    if (named.length > 0) {
      throw new AirbundleError('SIGNATURE_INVALID', `bundle.sig does not verify with key ${shortHint(claimed)}, the key it names: the signature or the signed statement was altered`, {
        hint: 'Re-sign the bundle, or get an untampered copy',
        details: { keyHint: claimed },
      });
    }
    const n = keys.length;
    throw new AirbundleError('SIGNATURE_INVALID', `bundle.sig was signed by key ${shortHint(claimed) || '(unnamed)'}, which is none of the ${n} key${n === 1 ? '' : 's'} given`, {
      hint: 'Pass the public key that signed the bundle with --key (`bundle inspect` shows its hint)',
      details: { keyHint: claimed, trustedKeyHints: trusted.map((t) => t.hint) },
    });
  }
  const signed = signedManifestSha256(bundle.content.dsseEnvelope.payload);
  const actual = sha256Hex(manifestBytes);
  if (signed !== actual) {
    throw new AirbundleError('SIGNATURE_INVALID', `bundle.json was changed after signing: its sha256 is sha256:${actual}, the signature covers sha256:${signed}`, {
      hint: 'Get an untampered copy of the bundle, or re-sign it if the change is yours',
      details: { signed: `sha256:${signed}`, actual: `sha256:${actual}` },
    });
  }
  return { keyHint: signer.hint };
}

/**
 * signatureVerifies runs sigstore's own verifier with `key` as the only trust: no CA, no tlog, no TSA, and every
 * threshold at 0 (their defaults are 1), which is offline verification with a public key. A bundle carrying tlog
 * entries or timestamps fails here, since there is nothing to check them against.
 */
function signatureVerifies(bundle: SignatureBundle, key: KeyObject): boolean {
  const trust: TrustMaterial = {
    certificateAuthorities: [],
    timestampAuthorities: [],
    tlogs: [],
    ctlogs: [],
    publicKey: () => ({ publicKey: key, validFor: () => true }),
  };
  const verifier = new Verifier(trust, { tlogThreshold: 0, ctlogThreshold: 0, timestampThreshold: 0 });
  try {
    verifier.verify(toSignedEntity(bundle));
    return true;
  } catch (err) {
    if (err instanceof VerificationError && err.code === 'SIGNATURE_ERROR') return false;
    throw new AirbundleError('SIGNATURE_INVALID', `bundle.sig cannot be verified offline: ${errorMessage(err)}`, { cause: err });
  }
}
