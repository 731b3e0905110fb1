/**
 * The in-toto Statement that bundle.sig signs: one subject, bundle.json, by sha256. The chunk and blob digests
 * are inside bundle.json, so this one digest covers the whole bundle (the OpenSSF model-signing pattern).
 * Reference: https://github.com/in-toto/attestation/blob/v1.1.0/spec/v1/statement.md
 */
import { createHash } from 'node:crypto';
import { BUNDLE_MANIFEST_FILE, BUNDLE_MEDIA_TYPE } from '../bundle/layout.js';
import { AirbundleError } from '../errors.js';

/** DSSE payload type of an in-toto Statement. */
export const IN_TOTO_PAYLOAD_TYPE = 'application/vnd.in-toto+json';
/** `_type` of an in-toto Statement v1. */
export const IN_TOTO_STATEMENT_V1 = 'https://in-toto.io/Statement/v1';
/** `predicateType` of airbundle's statement. */
export const BUNDLE_PREDICATE_TYPE = 'https://airbundle.dev/bundle/v1';

/** BundleStatement is the in-toto Statement v1 over bundle.json. */
export interface BundleStatement {
  _type: typeof IN_TOTO_STATEMENT_V1;
  subject: Array<{ name: string; digest: { sha256: string } }>;
  predicateType: typeof BUNDLE_PREDICATE_TYPE;
  predicate: { bundleMediaType: string };
}

/** bundleStatement builds the statement for these exact bundle.json bytes. */
export function bundleStatement(manifestBytes: Uint8Array): BundleStatement {
  return {
    _type: IN_TOTO_STATEMENT_V1,
    subject: [{ name: BUNDLE_MANIFEST_FILE, digest: { sha256: sha256Hex(manifestBytes) } }],
    predicateType: BUNDLE_PREDICATE_TYPE,
    predicate: { bundleMediaType: BUNDLE_MEDIA_TYPE },
  };
}

/**
 * signedManifestSha256 reads the hex sha256 of the bundle.json subject from a DSSE payload. SIGNATURE_INVALID if
 * the payload is not airbundle's in-toto statement.
 */
export function signedManifestSha256(payload: Buffer): string {
  const invalid = (why: string): AirbundleError =>
    new AirbundleError('SIGNATURE_INVALID', `bundle.sig does not sign an airbundle statement: ${why}`);
  let statement: unknown;
  try {
    statement = JSON.parse(payload.toString('utf8'));
  } catch {
    throw invalid('the DSSE payload is not JSON');
  }
  if (!isRecord(statement) || statement._type !== IN_TOTO_STATEMENT_V1) throw invalid('not an in-toto Statement v1');
  if (statement.predicateType !== BUNDLE_PREDICATE_TYPE) {
    throw invalid(`predicateType is ${JSON.stringify(statement.predicateType)}, not ${BUNDLE_PREDICATE_TYPE}`);
  }
  const subjects = Array.isArray(statement.subject) ? statement.subject : [];
  const subject: unknown = subjects.find((s: unknown) => isRecord(s) && s.name === BUNDLE_MANIFEST_FILE);
  const hex = isRecord(subject) && isRecord(subject.digest) ? subject.digest.sha256 : undefined;
  if (typeof hex !== 'string' || !/^[0-9a-f]{64}$/.test(hex)) throw invalid(`no ${BUNDLE_MANIFEST_FILE} subject with a sha256`);
  return hex;
}

/** sha256Hex is the lowercase hex sha256 of `data`. */
export function sha256Hex(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}
