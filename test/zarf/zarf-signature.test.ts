import { generateKeyPairSync } from 'node:crypto';
import { bundleFromJSON } from '@sigstore/bundle';
import { toSignedEntity, Verifier } from '@sigstore/verify';
import { describe, expect, it } from 'vitest';
import { AirbundleError } from '../../src/errors.js';
import { signZarfDefinition, verifyZarfSignature } from '../../zarf-compat/index.js';

const definition = Buffer.from('kind: ZarfPackageConfig\nmetadata:\n  name: test\n  aggregateChecksum: 0123\n');
const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });

/**
 * signedWithPadding signs until the DER signature's length leaves `=` padding in its base64 (70 or 71 bytes):
 * the case where a changed last character once decoded to the same signature and verified.
 */
function signedWithPadding(pad: 1 | 2): { bundle: Buffer; legacy: Buffer } {
  for (;;) {
    const s = signZarfDefinition(definition, privateKey);
    if (s.legacy.toString().endsWith('='.repeat(pad)) && !s.legacy.toString().endsWith('='.repeat(pad + 1))) return s;
  }
}

function refusal(run: () => unknown): AirbundleError {
  try {
    run();
  } catch (err) {
    expect(err).toBeInstanceOf(AirbundleError);
    return err as AirbundleError;
  }
  throw new Error('a changed signature verified');
}

describe('Zarf package signatures', () => {
  it('verify as made', () => {
    const s = signZarfDefinition(definition, privateKey);
    expect(verifyZarfSignature(definition, s, [publicKey]).file).toBe('zarf.bundle.sig');
    expect(verifyZarfSignature(definition, { legacy: s.legacy }, [publicKey]).file).toBe('zarf.yaml.sig');
    expect(verifyZarfSignature(definition, { legacy: Buffer.concat([s.legacy, Buffer.from('\n')]) }, [publicKey]).file).toBe('zarf.yaml.sig');
  });

  it('make a zarf.bundle.sig that Sigstore\'s own verifier accepts as a key-signed message signature over zarf.yaml', () => {
    const { bundle } = signZarfDefinition(definition, privateKey);
    const verifier = new Verifier(
      { certificateAuthorities: [], timestampAuthorities: [], tlogs: [], ctlogs: [], publicKey: () => ({ publicKey, validFor: () => true }) },
      { tlogThreshold: 0, ctlogThreshold: 0, timestampThreshold: 0 },
    );
    const parsed = bundleFromJSON(JSON.parse(bundle.toString()));
    expect(() => verifier.verify(toSignedEntity(parsed, definition))).not.toThrow();
    expect(() => verifier.verify(toSignedEntity(parsed, Buffer.concat([definition, Buffer.from('#')])))).toThrow();
  });

  for (const pad of [1, 2] as const) {
    it(`refuse zarf.yaml.sig with any byte changed, even in its ${pad === 1 ? '"="' : '"=="'} ending`, () => {
      const { legacy } = signedWithPadding(pad);
      for (let at = 0; at < legacy.length; at += 1) {
        for (const mask of [0x01, 0x55]) {
          const changed = Buffer.from(legacy);
          changed[at] = changed[at]! ^ mask;
          const err = refusal(() => verifyZarfSignature(definition, { legacy: changed }, [publicKey]));
          expect(err.code, `byte ${at}`).toBe('SIGNATURE_INVALID');
          expect(err.message).toContain('zarf.yaml.sig');
        }
      }
    });
  }

  it('refuse zarf.bundle.sig whose signature or digest text was changed, padding included', () => {
    const { bundle } = signedWithPadding(1);
    const doc = JSON.parse(bundle.toString()) as { messageSignature: { signature: string; messageDigest: { digest: string } } };
    const variants = [
      { ...doc, messageSignature: { ...doc.messageSignature, signature: doc.messageSignature.signature.replace(/=$/, 'h') } },
      { ...doc, messageSignature: { ...doc.messageSignature, signature: doc.messageSignature.signature.replace(/=$/, '') } },
      { ...doc, messageSignature: { ...doc.messageSignature, messageDigest: { ...doc.messageSignature.messageDigest, digest: doc.messageSignature.messageDigest.digest.replace(/=$/, 'x') } } },
    ];
    for (const v of variants) {
      const err = refusal(() => verifyZarfSignature(definition, { bundle: Buffer.from(JSON.stringify(v)) }, [publicKey]));
      expect(err.code).toBe('SIGNATURE_INVALID');
      expect(err.message).toContain('zarf.bundle.sig');
    }
  });
});
