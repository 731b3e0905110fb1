/**
 * Zarf package signatures, checked offline with the publisher's public key (cosign's ECDSA P-256 key format).
 * The signed bytes are `zarf.yaml` itself (cosign `sign-blob`); zarf.yaml carries the aggregate checksum, so the
 * signature covers every file. Two forms exist:
 * - `zarf.bundle.sig` (v0.71.0+): a Sigstore bundle with a `messageSignature` (sha256 digest of zarf.yaml and an
 *   ASN.1 signature over it) and a public-key hint; Zarf signs with the transparency log off.
 * - `zarf.yaml.sig` (legacy, no longer written since v0.81.0): the base64 ASN.1 signature alone.
 * Keyless (certificate) bundles are refused, as Zarf refuses them at deploy time (#4917).
 * Reference: zarf.md §1.6; zarf-dev/zarf src/pkg/signing/cosign.go; sigstore protobuf-specs v0.3 Bundle.
 */
import { createHash, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import { AirbundleError } from '../../src/errors.js';
import { decodeStrictBase64 } from '../../src/util/strict-base64.js';

/** VerifiedZarfSignature says which file and key verified. */
export interface VerifiedZarfSignature {
  file: 'zarf.bundle.sig' | 'zarf.yaml.sig';
  /** sha256 (hex) of the DER public key that verified. */
  keyId: string;
}

/**
 * verifyZarfSignature checks zarf.yaml against the package's signatures with any of `keys`: every signature file
 * present must verify (a package re-signed by a newer Zarf may carry both forms). Pure and synchronous.
 */
export function verifyZarfSignature(definition: Buffer, signatures: { bundle?: Buffer; legacy?: Buffer }, keys: KeyObject[]): VerifiedZarfSignature {
  const publicKeys = keys.map((k) => (k.type === 'private' ? createPublicKey(k) : k));
  let verified: VerifiedZarfSignature | undefined;
  if (signatures.legacy !== undefined) {
    // cosign writes the base64 signature with no line break; one trailing newline (an editor's) is tolerated.
    const signature = decodeStrictBase64(signatures.legacy.toString('utf8').replace(/\r?\n$/, ''));
    if (signature === undefined || signature.length === 0) {
      throw new AirbundleError('SIGNATURE_INVALID', 'zarf.yaml.sig is not one base64 signature (empty, or changed: a character outside base64 or a non-canonical ending)', {
        hint: 'nothing was pushed or applied; get an untampered copy of the package',
        details: { file: 'zarf.yaml.sig' },
      });
    }
    verified = { file: 'zarf.yaml.sig', keyId: signer(definition, signature, publicKeys, 'zarf.yaml.sig') };
  }
  if (signatures.bundle !== undefined) {
    const { digest, signature } = readBundle(signatures.bundle);
    const actual = createHash('sha256').update(definition).digest();
    if (!digest.equals(actual)) {
      throw new AirbundleError('SIGNATURE_INVALID', `zarf.yaml was changed after signing: its sha256 is ${actual.toString('hex')}, zarf.bundle.sig covers ${digest.toString('hex')}`, {
        hint: 'nothing was pushed or applied; get an untampered copy of the package',
        details: { file: 'zarf.yaml' },
      });
    }
    verified = { file: 'zarf.bundle.sig', keyId: signer(definition, signature, publicKeys, 'zarf.bundle.sig') };
  }
  if (verified !== undefined) return verified;
  throw new AirbundleError('SIGNATURE_MISSING', 'the package is not signed (no zarf.bundle.sig or zarf.yaml.sig), but a key was given', {
    hint: 'deploy it with --allow-unsigned and no --key, or get a signed package',
  });
}

function signer(definition: Buffer, signature: Buffer, keys: KeyObject[], file: string): string {
  for (const key of keys) {
    let ok = false;
    try {
      ok = verify('sha256', definition, key, signature);
    } catch {
      ok = false;
    }
    if (ok) return createHash('sha256').update(key.export({ type: 'spki', format: 'der' })).digest('hex');
  }
  throw new AirbundleError('SIGNATURE_INVALID', `${file} does not verify zarf.yaml with ${keys.length === 1 ? 'the key' : `any of the ${keys.length} keys`} given: zarf.yaml or ${file} was changed, or another key signed it`, {
    hint: 'nothing was pushed or applied; pass the publisher\'s public key with --key',
    details: { file: `zarf.yaml, ${file}` },
  });
}

/** readBundle takes the message digest and signature out of a key-signed Sigstore bundle. */
function readBundle(bytes: Buffer): { digest: Buffer; signature: Buffer } {
  const invalid = (why: string): AirbundleError => new AirbundleError('SIGNATURE_INVALID', `zarf.bundle.sig is not a usable Sigstore bundle: ${why}`, { details: { file: 'zarf.bundle.sig' } });
  let doc: unknown;
  try {
    doc = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw invalid('it is not JSON');
  }
  const b = doc as {
    mediaType?: unknown;
    verificationMaterial?: { publicKey?: unknown; certificate?: unknown; x509CertificateChain?: unknown };
    messageSignature?: { messageDigest?: { algorithm?: unknown; digest?: unknown }; signature?: unknown };
    dsseEnvelope?: unknown;
  };
  if (typeof b.mediaType !== 'string' || !b.mediaType.startsWith('application/vnd.dev.sigstore.bundle')) throw invalid(`media type ${JSON.stringify(b.mediaType)}`);
  if (b.verificationMaterial?.publicKey === undefined) {
    throw invalid(b.verificationMaterial?.certificate !== undefined || b.verificationMaterial?.x509CertificateChain !== undefined ? 'it is keyless (certificate-signed); verify it with zarf package verify' : 'it names no public key');
  }
  const ms = b.messageSignature;
  if (ms === undefined) throw invalid(b.dsseEnvelope !== undefined ? 'it holds a DSSE envelope, not the message signature cosign sign-blob makes' : 'it holds no message signature');
  if (ms.messageDigest?.algorithm !== 'SHA2_256' || typeof ms.messageDigest.digest !== 'string') throw invalid('its message digest is not SHA2_256');
  if (typeof ms.signature !== 'string' || ms.signature === '') throw invalid('it holds no signature');
  const digest = decodeStrictBase64(ms.messageDigest.digest);
  const signature = decodeStrictBase64(ms.signature);
  if (digest === undefined || digest.length !== 32) throw invalid('its message digest is not 32 bytes of base64');
  if (signature === undefined) throw invalid('its signature is not canonical base64');
  return { digest, signature };
}

/**
 * signZarfDefinition makes both signature files for `zarf.yaml` with an ECDSA key, as `zarf package sign` does
 * with a local cosign key (tlog off). Used to sign exported packages and in tests.
 */
export function signZarfDefinition(definition: Buffer, key: KeyObject): { bundle: Buffer; legacy: Buffer } {
  // node:crypto signs with an EC key as ASN.1 DER, the form cosign writes.
  const signature = sign('sha256', definition, key);
  const pub = createPublicKey(key).export({ type: 'spki', format: 'der' });
  const bundle = {
    mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
    verificationMaterial: { publicKey: { hint: createHash('sha256').update(pub).digest('base64') }, tlogEntries: [], timestampVerificationData: {} },
    messageSignature: { messageDigest: { algorithm: 'SHA2_256', digest: createHash('sha256').update(definition).digest('base64') }, signature: signature.toString('base64') },
  };
  return { bundle: Buffer.from(JSON.stringify(bundle)), legacy: Buffer.from(signature.toString('base64')) };
}
