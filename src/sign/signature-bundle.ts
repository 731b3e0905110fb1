/**
 * bundle.sig is a Sigstore bundle v0.3 holding a DSSE envelope and a public-key hint (no certificate, no
 * transparency log, no timestamps: airbundle signs offline with a local key).
 * Reference: https://github.com/sigstore/protobuf-specs/blob/v0.3.2/protos/sigstore_bundle.proto
 */
import {
  BUNDLE_V03_LEGACY_MEDIA_TYPE,
  BUNDLE_V03_MEDIA_TYPE,
  bundleFromJSON,
  isBundleWithDsseEnvelope,
  isBundleWithPublicKey,
  ValidationError,
  type Bundle,
  type BundleWithDsseEnvelope,
  type BundleWithPublicKey,
} from '@sigstore/bundle';
import { AirbundleError, errorMessage } from '../errors.js';
import { IN_TOTO_PAYLOAD_TYPE } from './statement.js';
import { decodeStrictBase64 } from '../util/strict-base64.js';

/** SignatureBundle is a parsed bundle.sig: a DSSE envelope signed by the key named in `publicKey.hint`. */
export type SignatureBundle = BundleWithDsseEnvelope & BundleWithPublicKey;

/** The JSON form of bundle.sig, in the field order written. */
interface SignatureBundleJson {
  mediaType: typeof BUNDLE_V03_MEDIA_TYPE;
  verificationMaterial: {
    publicKey: { hint: string };
    tlogEntries: [];
    timestampVerificationData: { rfc3161Timestamps: [] };
  };
  dsseEnvelope: { payload: string; payloadType: string; signatures: Array<{ sig: string; keyid: string }> };
}

/**
 * encodeSignatureBundle serialises a DSSE bundle over `payload` as bundle.sig bytes (JSON and a newline). It is
 * written by hand rather than with `bundleToJSON`, whose proto3 JSON drops the empty `tlogEntries` and
 * `rfc3161Timestamps`; spelling them out says plainly that the bundle has no log entry and no timestamp.
 */
export function encodeSignatureBundle(payload: Buffer, signature: Buffer, keyHint: string): Buffer {
  const bundle: SignatureBundleJson = {
    mediaType: BUNDLE_V03_MEDIA_TYPE,
    verificationMaterial: {
      publicKey: { hint: keyHint },
      tlogEntries: [],
      timestampVerificationData: { rfc3161Timestamps: [] },
    },
    dsseEnvelope: {
      payload: payload.toString('base64'),
      payloadType: IN_TOTO_PAYLOAD_TYPE,
      signatures: [{ sig: signature.toString('base64'), keyid: keyHint }],
    },
  };
  return Buffer.from(`${JSON.stringify(bundle)}\n`, 'utf8');
}

/** parseSignatureBundle reads bundle.sig; SIGNATURE_INVALID, saying why, unless it is a v0.3 key-signed DSSE bundle. */
export function parseSignatureBundle(sig: Buffer): SignatureBundle {
  const invalid = (why: string, cause?: unknown): AirbundleError =>
    new AirbundleError('SIGNATURE_INVALID', `bundle.sig is not a usable Sigstore bundle: ${why}`, {
      hint: 'Re-sign the bundle with `bundle sign PATH --key PREFIX.key`',
      cause,
    });
  let json: unknown;
  try {
    json = JSON.parse(sig.toString('utf8'));
  } catch (err) {
    throw invalid('it is not JSON', err);
  }
  const raw = json as { dsseEnvelope?: { payload?: unknown; signatures?: Array<{ sig?: unknown }> } };
  for (const [field, value] of [['payload', raw.dsseEnvelope?.payload], ...(raw.dsseEnvelope?.signatures ?? []).map((s) => ['sig', s.sig] as const)] as const) {
    if (typeof value === 'string' && decodeStrictBase64(value) === undefined) throw invalid(`the DSSE ${field} is not canonical base64 (a byte of it was changed)`);
  }
  let bundle: Bundle;
  try {
    bundle = bundleFromJSON(json);
  } catch (err) {
    const fields = err instanceof ValidationError ? ` (${err.fields.join(', ')})` : '';
    throw invalid(`${errorMessage(err)}${fields}`, err);
  }
  if (bundle.mediaType !== BUNDLE_V03_MEDIA_TYPE && bundle.mediaType !== BUNDLE_V03_LEGACY_MEDIA_TYPE) {
    throw invalid(`media type ${JSON.stringify(bundle.mediaType)} is not ${BUNDLE_V03_MEDIA_TYPE}`);
  }
  if (!isBundleWithDsseEnvelope(bundle)) throw invalid('it holds a message signature, not a DSSE envelope');
  if (!isBundleWithPublicKey(bundle)) throw invalid('it is certificate-signed; airbundle verifies key-signed bundles');
  const envelope = bundle.content.dsseEnvelope;
  if (envelope.payloadType !== IN_TOTO_PAYLOAD_TYPE) {
    throw invalid(`the DSSE payload type is ${JSON.stringify(envelope.payloadType)}, not ${IN_TOTO_PAYLOAD_TYPE}`);
  }
  if (envelope.signatures.length === 0 || envelope.signatures[0]?.sig.length === 0) throw invalid('the envelope has no signature');
  return bundle;
}

/** signatureKeyHint is the hint naming the signing key: `publicKey.hint`, else the DSSE signature's `keyid`. */
export function signatureKeyHint(bundle: SignatureBundle): string {
  return bundle.verificationMaterial.content.publicKey.hint || (bundle.content.dsseEnvelope.signatures[0]?.keyid ?? '');
}

/** readSignatureKeyHint returns the key hint recorded in bundle.sig (SIGNATURE_INVALID if unreadable or absent). */
export function readSignatureKeyHint(sig: Buffer): string {
  const hint = signatureKeyHint(parseSignatureBundle(sig));
  if (hint === '') throw new AirbundleError('SIGNATURE_INVALID', 'bundle.sig does not name the key that signed it');
  return hint;
}
