import { generateKeyPairSync, verify as cryptoVerify, type KeyObject } from 'node:crypto';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { dsse } from '@sigstore/core';
import { describe, expect, it } from 'vitest';
import { encryptPrivateKey } from '../../src/sign/encrypted-key.js';
import {
  generateKeyPair,
  loadPrivateKey,
  loadPublicKey,
  readSignatureKeyHint,
  signBundleManifest,
  verifyBundleSignature,
} from '../../src/sign/index.js';
import { keyHint } from '../../src/sign/key-hint.js';
import { COSIGN_ENCRYPTED_KEY_LABEL, decodePem, SIGSTORE_ENCRYPTED_KEY_LABEL } from '../../src/sign/pem.js';
import { sha256Hex } from '../../src/sign/statement.js';
import { useTempDirs } from '../support/temp-dir.js';

const tempDir = useTempDirs();
const MANIFEST = Buffer.from('{"schemaVersion":1,"artifacts":[]}\n');

/** caught returns what `fn` throws or rejects with, or fails the test if it does not. */
async function caught(fn: () => unknown): Promise<unknown> {
  try {
    await fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected an error');
}

async function newKeys(passphrase = 'correct horse'): Promise<{ dir: string; key: string; pub: string }> {
  const dir = await tempDir();
  const written = await generateKeyPair(join(dir, 'signer'), passphrase);
  return { dir, key: written.privateKey, pub: written.publicKey };
}

function pem(key: KeyObject, type: 'pkcs8' | 'sec1' | 'spki'): string {
  return key.export({ type, format: 'pem' }).toString();
}

describe('sign', () => {
  describe('generateKeyPair', () => {
    it('writes a cosign-format encrypted P-256 key (0600) and an SPKI public key', async () => {
      const { dir, key, pub } = await newKeys();
      expect(key).toBe(join(dir, 'signer.key'));
      expect(pub).toBe(join(dir, 'signer.pub'));
      expect((await stat(key)).mode & 0o777).toBe(0o600);

      const blocks = decodePem(await readFile(key, 'utf8'));
      expect(blocks.map((b) => b.label)).toEqual([SIGSTORE_ENCRYPTED_KEY_LABEL]);
      const body = JSON.parse(blocks[0]?.der.toString('utf8') ?? '') as Record<string, unknown>;
      expect(Object.keys(body)).toEqual(['kdf', 'cipher', 'ciphertext']);
      expect(body).toMatchObject({
        kdf: { name: 'scrypt', params: { N: 65536, r: 8, p: 1 }, salt: expect.any(String) },
        cipher: { name: 'nacl/secretbox', nonce: expect.any(String) },
        ciphertext: expect.any(String),
      });
      expect((await readFile(pub, 'utf8')).startsWith('-----BEGIN PUBLIC KEY-----\n')).toBe(true);
    });

    it('refuses with KEY_EXISTS when either file exists, and leaves it alone', async () => {
      const { dir, key } = await newKeys();
      const before = await readFile(key, 'utf8');
      const again = await caught(() => generateKeyPair(join(dir, 'signer'), 'other'));
      expect(again).toMatchObject({ code: 'KEY_EXISTS', message: expect.stringContaining('signer.key') });
      expect(await readFile(key, 'utf8')).toBe(before);

      await writeFile(join(dir, 'lonely.pub'), 'not mine');
      const pubOnly = await caught(() => generateKeyPair(join(dir, 'lonely'), 'pw'));
      expect(pubOnly).toMatchObject({ code: 'KEY_EXISTS', hint: expect.stringContaining('prefix') });
      await expect(stat(join(dir, 'lonely.key'))).rejects.toMatchObject({ code: 'ENOENT' });
    });
  });

  describe('loadPrivateKey', () => {
    it('opens the key with the right passphrase: a P-256 key matching the .pub', async () => {
      const { key, pub } = await newKeys();
      const priv = await loadPrivateKey(key, 'correct horse');
      expect(priv.type).toBe('private');
      expect(priv.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
      expect(keyHint(priv)).toBe(keyHint(await loadPublicKey(pub)));
    });

    it('rejects a wrong passphrase with KEY_PASSPHRASE naming the file', async () => {
      const { key } = await newKeys();
      const err = await caught(() => loadPrivateKey(key, 'wrong'));
      expect(err).toMatchObject({ code: 'KEY_PASSPHRASE', message: expect.stringContaining(key) });
    });

    it('loads an old cosign key (ENCRYPTED COSIGN PRIVATE KEY, SEC1 inside, N=32768) that then signs', async () => {
      const dir = await tempDir();
      const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const sec1 = privateKey.export({ type: 'sec1', format: 'der' });
      const text = await encryptPrivateKey(sec1, 'hello', { label: COSIGN_ENCRYPTED_KEY_LABEL, scryptN: 32768 });
      expect(text.startsWith(`-----BEGIN ${COSIGN_ENCRYPTED_KEY_LABEL}-----\n`)).toBe(true);
      await writeFile(join(dir, 'cosign.key'), text);

      const loaded = await loadPrivateKey(join(dir, 'cosign.key'), 'hello');
      const sig = await signBundleManifest(MANIFEST, loaded);
      expect(verifyBundleSignature(sig, MANIFEST, [publicKey])).toEqual({ keyHint: keyHint(publicKey) });
      expect(await caught(() => loadPrivateKey(join(dir, 'cosign.key'), 'hell0'))).toMatchObject({ code: 'KEY_PASSPHRASE' });
    });

    it('loads unencrypted PKCS#8 and SEC1 PEM keys', async () => {
      const dir = await tempDir();
      const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      for (const type of ['pkcs8', 'sec1'] as const) {
        const path = join(dir, `${type}.pem`);
        await writeFile(path, pem(privateKey, type));
        expect(keyHint(await loadPrivateKey(path, ''))).toBe(keyHint(privateKey));
      }
    });

    it('loads a passphrase-protected PKCS#8 key (ENCRYPTED PRIVATE KEY), KEY_PASSPHRASE when wrong', async () => {
      const dir = await tempDir();
      const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const path = join(dir, 'enc.pem');
      await writeFile(path, privateKey.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'pw' }));
      expect(keyHint(await loadPrivateKey(path, 'pw'))).toBe(keyHint(privateKey));
      expect(await caught(() => loadPrivateKey(path, 'nope'))).toMatchObject({ code: 'KEY_PASSPHRASE', message: expect.stringContaining(path) });
    });

    it('rejects a key on another curve or of another type with KEY_INVALID naming it', async () => {
      const dir = await tempDir();
      const p384 = join(dir, 'p384.pem');
      await writeFile(p384, pem(generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey, 'pkcs8'));
      expect(await caught(() => loadPrivateKey(p384, ''))).toMatchObject({ code: 'KEY_INVALID', message: expect.stringContaining('P-384') });
      const ed = join(dir, 'ed.pem');
      await writeFile(ed, pem(generateKeyPairSync('ed25519').privateKey, 'pkcs8'));
      expect(await caught(() => loadPrivateKey(ed, ''))).toMatchObject({ code: 'KEY_INVALID', message: expect.stringContaining('ed25519') });
    });

    it('rejects a missing, garbled or public-key file with KEY_INVALID naming it', async () => {
      const { dir, pub } = await newKeys();
      const missing = join(dir, 'nope.key');
      expect(await caught(() => loadPrivateKey(missing, 'x'))).toMatchObject({
        code: 'KEY_INVALID',
        message: expect.stringContaining(missing),
        hint: expect.stringContaining('keygen'),
      });
      const garbled = join(dir, 'garbled.key');
      await writeFile(garbled, `-----BEGIN ${SIGSTORE_ENCRYPTED_KEY_LABEL}-----\nbm90IGpzb24=\n-----END ${SIGSTORE_ENCRYPTED_KEY_LABEL}-----\n`);
      expect(await caught(() => loadPrivateKey(garbled, 'x'))).toMatchObject({ code: 'KEY_INVALID', message: expect.stringContaining(garbled) });
      expect(await caught(() => loadPrivateKey(pub, 'x'))).toMatchObject({ code: 'KEY_INVALID', message: expect.stringContaining('public key') });
    });
  });

  describe('loadPublicKey', () => {
    it('rejects a private key file: "this is a private key; pass the .pub"', async () => {
      const { key } = await newKeys();
      const err = await caught(() => loadPublicKey(key));
      expect(err).toMatchObject({ code: 'KEY_INVALID', message: expect.stringContaining('this is a private key; pass the .pub') });
      expect(err).toMatchObject({ message: expect.stringContaining(key) });
    });

    it('rejects a file that is not PEM with KEY_INVALID', async () => {
      const dir = await tempDir();
      await writeFile(join(dir, 'x.pub'), 'hello');
      expect(await caught(() => loadPublicKey(join(dir, 'x.pub')))).toMatchObject({ code: 'KEY_INVALID' });
    });
  });

  describe('signBundleManifest', () => {
    it('writes a Sigstore bundle v0.3 with a DSSE in-toto statement over bundle.json, signed over the PAE', async () => {
      const { key, pub } = await newKeys();
      const publicKey = await loadPublicKey(pub);
      const sig = await signBundleManifest(MANIFEST, await loadPrivateKey(key, 'correct horse'));
      const bundle = JSON.parse(sig.toString('utf8')) as {
        dsseEnvelope: { payload: string; payloadType: string; signatures: Array<{ sig: string; keyid: string }> };
      };
      const hint = keyHint(publicKey);
      expect(bundle).toEqual({
        mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
        verificationMaterial: { publicKey: { hint }, tlogEntries: [], timestampVerificationData: { rfc3161Timestamps: [] } },
        dsseEnvelope: { payload: expect.any(String), payloadType: 'application/vnd.in-toto+json', signatures: [{ sig: expect.any(String), keyid: hint }] },
      });
      const payload = Buffer.from(bundle.dsseEnvelope.payload, 'base64');
      expect(JSON.parse(payload.toString('utf8'))).toEqual({
        _type: 'https://in-toto.io/Statement/v1',
        subject: [{ name: 'bundle.json', digest: { sha256: sha256Hex(MANIFEST) } }],
        predicateType: 'https://airbundle.dev/bundle/v1',
        predicate: { bundleMediaType: 'application/vnd.airbundle.bundle.v1+json' },
      });
      // Independent check: ECDSA-SHA256 (DER) over DSSEv1 PAE, with plain node crypto.
      const pae = dsse.preAuthEncoding('application/vnd.in-toto+json', payload);
      const der = Buffer.from(bundle.dsseEnvelope.signatures[0]?.sig ?? '', 'base64');
      expect(cryptoVerify('sha256', pae, publicKey, der)).toBe(true);
      expect(readSignatureKeyHint(sig)).toBe(hint);
    });

    it('refuses a public key or a non-P-256 key with KEY_INVALID', async () => {
      const { pub } = await newKeys();
      const publicKey = await loadPublicKey(pub);
      expect(await caught(() => signBundleManifest(MANIFEST, publicKey))).toMatchObject({ code: 'KEY_INVALID' });
      const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey;
      expect(await caught(() => signBundleManifest(MANIFEST, p384))).toMatchObject({ code: 'KEY_INVALID', message: expect.stringContaining('P-384') });
    });
  });

  describe('verifyBundleSignature', () => {
    it('refuses a bundle.sig whose base64 was respelt (same bytes to a lenient decoder)', async () => {
      const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      // Sign until the DER signature leaves "=" padding: a changed padding character then decodes to the same bytes.
      let doc: { dsseEnvelope: { payload: string; signatures: Array<{ sig: string }> } };
      do doc = JSON.parse((await signBundleManifest(MANIFEST, privateKey)).toString()) as typeof doc;
      while (!doc.dsseEnvelope.signatures[0]!.sig.endsWith('='));
      expect(verifyBundleSignature(Buffer.from(JSON.stringify(doc)), MANIFEST, [publicKey]).keyHint).toBe(keyHint(publicKey));
      const sig = doc.dsseEnvelope.signatures[0]!.sig;
      const respelt = [
        { ...doc, dsseEnvelope: { ...doc.dsseEnvelope, signatures: [{ ...doc.dsseEnvelope.signatures[0]!, sig: sig.slice(0, -1) }] } },
        { ...doc, dsseEnvelope: { ...doc.dsseEnvelope, payload: ` ${doc.dsseEnvelope.payload}` } },
      ];
      for (const r of respelt) {
        expect(await caught(() => verifyBundleSignature(Buffer.from(JSON.stringify(r)), MANIFEST, [publicKey]))).toMatchObject({ code: 'SIGNATURE_INVALID', message: expect.stringContaining('canonical base64') });
      }
    });

    it('verifies a signature by one of the given keys and returns its hint', async () => {
      const { key, pub } = await newKeys();
      const sig = await signBundleManifest(MANIFEST, await loadPrivateKey(key, 'correct horse'));
      const publicKey = await loadPublicKey(pub);
      const other = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey;
      expect(verifyBundleSignature(sig, MANIFEST, [publicKey])).toEqual({ keyHint: keyHint(publicKey) });
      expect(verifyBundleSignature(sig, MANIFEST, [other, publicKey])).toEqual({ keyHint: keyHint(publicKey) });
    });

    describe('when the signer is not among the keys', () => {
      it('fails with SIGNATURE_INVALID naming the signing key', async () => {
        const { key, pub } = await newKeys();
        const sig = await signBundleManifest(MANIFEST, await loadPrivateKey(key, 'correct horse'));
        const hint16 = keyHint(await loadPublicKey(pub)).slice(0, 16);
        const others = [generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey, generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey];
        const err = await caught(() => verifyBundleSignature(sig, MANIFEST, others));
        expect(err).toMatchObject({
          code: 'SIGNATURE_INVALID',
          message: `bundle.sig was signed by key ${hint16}, which is none of the 2 keys given`,
        });
      });
    });

    describe('when bundle.json was changed after signing', () => {
      it('fails with SIGNATURE_INVALID', async () => {
        const { key, pub } = await newKeys();
        const sig = await signBundleManifest(MANIFEST, await loadPrivateKey(key, 'correct horse'));
        const tampered = Buffer.from(MANIFEST.toString('utf8').replace('"artifacts":[]', '"artifacts":[{}]'));
        const publicKey = await loadPublicKey(pub);
        const err = await caught(() => verifyBundleSignature(sig, tampered, [publicKey]));
        expect(err).toMatchObject({ code: 'SIGNATURE_INVALID', message: expect.stringContaining('bundle.json was changed after signing') });
      });
    });

    describe('when the signed statement was swapped', () => {
      it('fails with SIGNATURE_INVALID even though the new subject matches', async () => {
        const { key, pub } = await newKeys();
        const sig = await signBundleManifest(MANIFEST, await loadPrivateKey(key, 'correct horse'));
        const other = Buffer.from('{"schemaVersion":1,"artifacts":["evil"]}\n');
        const bundle = JSON.parse(sig.toString('utf8')) as { dsseEnvelope: { payload: string } };
        const statement = Buffer.from(bundle.dsseEnvelope.payload, 'base64').toString('utf8').replace(sha256Hex(MANIFEST), sha256Hex(other));
        bundle.dsseEnvelope.payload = Buffer.from(statement).toString('base64');
        const forged = Buffer.from(JSON.stringify(bundle));
        const publicKey = await loadPublicKey(pub);
        const err = await caught(() => verifyBundleSignature(forged, other, [publicKey]));
        expect(err).toMatchObject({ code: 'SIGNATURE_INVALID', message: expect.stringContaining('does not verify') });
      });
    });

    describe('when bundle.sig is not a Sigstore DSSE bundle', () => {
      it('fails with SIGNATURE_INVALID, and so does readSignatureKeyHint', async () => {
        const { pub } = await newKeys();
        const publicKey = await loadPublicKey(pub);
        for (const bad of ['not json', '{}', JSON.stringify({ mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json' })]) {
          expect(await caught(() => verifyBundleSignature(Buffer.from(bad), MANIFEST, [publicKey]))).toMatchObject({ code: 'SIGNATURE_INVALID' });
          expect(await caught(() => readSignatureKeyHint(Buffer.from(bad)))).toMatchObject({ code: 'SIGNATURE_INVALID' });
        }
      });
    });
  });
});
