/**
 * Inputs that are well-formed but must not be trusted: a spec naming a source scheme we do not read; a bundle
 * signed by a key the operator does not trust (foreign, or rotated out); a bundle.sig whose trust rests on an X.509
 * certificate (the only kind of signature that expires; we accept none); an unsigned bundle under a signing policy.
 *
 * Our key model: keys are bare ECDSA P-256 keys (PEM, cosign-compatible). A key has no validity period; trust is
 * the set of `--key` files the operator passes. "Expired" therefore means one of two things here, both tested:
 * a key rotated out (the operator no longer passes it: the bundle is refused as signed by a foreign key, and the
 * message names the key that did sign), and a certificate-based signature (Fulcio certificates live 10 minutes;
 * judging them needs a clock, a CA and a transparency log), refused whatever the certificate's dates say.
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dsse } from '@sigstore/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, type CliResult } from '../support/cli.js';
import { startHttpFileServer } from '../support/http-file-server.js';
import { startRegistry, type RunningRegistry } from '../support/registry.js';
import { buildFixture, EditableBundle, expectRefused, readTarMembers, registryTags, snapshot, type FixtureBundle } from './craft.js';

const ENV = { AIRBUNDLE_PASSPHRASE: 'pw' };
let work: string;
let reg: RunningRegistry;
let fx: FixtureBundle;
/** The fixture signed with key "a"; unsigned; and its keys. */
let signed: string;
let unsigned: string;
const key = (name: string, ext: 'key' | 'pub'): string => join(work, `${name}.${ext}`);

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'airbundle-hostile-keys-'));
  reg = await startRegistry();
  fx = await buildFixture(work);
  for (const k of ['a', 'b', 'rotated']) expect((await runCli(['keygen', '--out', join(work, k)], ENV)).code).toBe(0);
  unsigned = await new EditableBundle(fx.members).writeTar(join(work, 'unsigned.tar'));
  signed = await new EditableBundle(fx.members).writeTar(join(work, 'signed.tar'));
  const s = await runCli(['sign', signed, '--key', key('a', 'key')], ENV);
  expect(s.code, s.stderr).toBe(0);
});

afterAll(async () => {
  await reg?.stop();
  await rm(work, { recursive: true, force: true });
});

let n = 0;
/** deploy runs `bundle deploy --render-only` and checks it left the registry and the render directory alone. */
async function deployRefused(bundle: string, args: string[], fail: { code: string; names?: RegExp }): Promise<CliResult> {
  n += 1;
  const out = join(work, `render-${n}`);
  const r = await runCli(['deploy', bundle, '--registry', reg.host, '--plain-http', '--render-only', out, ...args]);
  expectRefused(r, { exit: 1, ...fail }, 'deploy');
  expect(await snapshot(out), 'deploy rendered something').toBeUndefined();
  expect([...(await registryTags(reg.host))], 'deploy pushed something').toEqual([]);
  return r;
}

/** verifyRefused runs `bundle verify` (text and --json) and expects an INVALID report carrying `code`. */
async function verifyRefused(bundle: string, args: string[], code: string, names: RegExp): Promise<void> {
  const text = await runCli(['verify', bundle, ...args]);
  expect(text.code, text.stderr).toBe(1);
  expect(text.stdout).toMatch(new RegExp(`^  ${code}: `, 'm'));
  expect(text.stdout).toMatch(names);
  expect(text.stdout).toMatch(/INVALID/);
  const json = await runCli(['verify', bundle, ...args, '--json']);
  expect(json.code, json.stderr).toBe(1);
  const report = JSON.parse(json.stdout) as { valid: boolean; signature: { state: string }; problems: Array<{ code: string }> };
  expect(report.valid).toBe(false);
  expect(report.signature.state).toBe('invalid');
  expect(report.problems.map((p) => p.code)).toContain(code);
}

describe('a spec with a source scheme we do not read', () => {
  it('is refused before anything is fetched (SPEC_INVALID, exit 2), naming the field, line and the schemes we know', async () => {
    const files = await startHttpFileServer();
    try {
      const dir = join(work, 'spec-scheme');
      await mkdir(dir, { recursive: true });
      const body = Buffer.from('weights');
      files.setFile('/w.bin', body);
      const pin = createHash('sha256').update(body).digest('hex');
      const spec = join(dir, 'bundle.yaml');
      await writeFile(
        spec,
        `apiVersion: airbundle.dev/v1
kind: Bundle
metadata: {name: t, version: 0.1.0}
models:
  - name: good
    source: ${files.url}/w.bin#sha256=${pin}
  - name: bad
    source: ftp://models.example/llama.gguf
images:
  - source: s3://bucket/img:1
`,
      );
      const out = join(dir, 'out.tar');
      for (const args of [[], ['--json']]) {
        const r = await runCli(['build', spec, '--out', out, '--cache', join(dir, 'cache'), ...args]);
        expectRefused(r, { exit: 2, code: 'SPEC_INVALID', names: /bundle\.yaml:8:13: models\[1\]\.source: the scheme "ftp:" .* is not one airbundle reads; use hf:\/\/, file:\/\// }, 'build');
        expect(r.stderr).toMatch(/bundle\.yaml:10:\d+: images\[0\]\.source: the scheme "s3:\/\/"/);
      }
      expect(files.requests, 'a source was fetched').toEqual([]);
      expect(await snapshot(dir)).toEqual(['bundle.yaml']);
    } finally {
      await files.close();
    }
  });
});

describe('signatures and keys', () => {
  it('a foreign key: verify, inspect and deploy name the key that signed, and deploy touches nothing (SIGNATURE_INVALID)', async () => {
    const names = /signed by key [0-9a-f]{16}, which is none of the 1 key given/;
    await verifyRefused(signed, ['--key', key('b', 'pub')], 'SIGNATURE_INVALID', names);
    const inspect = await runCli(['inspect', signed, '--key', key('b', 'pub')]);
    expect(inspect.stdout).toMatch(/Signed\s+INVALID: bundle\.sig was signed by key/);
    await deployRefused(signed, ['--key', key('b', 'pub')], { code: 'SIGNATURE_INVALID', names });
  });

  it('a rotated-out key ("expired" in our model): the operator trusts only the new key, the old signature is refused', async () => {
    const old = await new EditableBundle(fx.members).writeTar(join(work, 'old-key.tar'));
    expect((await runCli(['sign', old, '--key', key('rotated', 'key')], ENV)).code).toBe(0);
    const oldHint = (JSON.parse((await runCli(['inspect', old, '--json'])).stdout) as { signature: { keyHint: string } }).signature.keyHint;
    await verifyRefused(old, ['--key', key('a', 'pub')], 'SIGNATURE_INVALID', new RegExp(`signed by key ${oldHint.slice(0, 16)}`));
    await deployRefused(old, ['--key', key('a', 'pub')], { code: 'SIGNATURE_INVALID', names: new RegExp(oldHint.slice(0, 16)) });
    // Trusting both (a rotation window) accepts it.
    const both = await runCli(['verify', old, '--key', key('a', 'pub'), '--key', key('rotated', 'pub')]);
    expect(both.code, both.stdout).toBe(0);
  });

  it('a signature by a foreign key that claims the trusted key\'s hint is refused as altered (SIGNATURE_INVALID)', async () => {
    const b = new EditableBundle(fx.members);
    const path = await b.writeTar(join(work, 'forged.tar'));
    expect((await runCli(['sign', path, '--key', key('b', 'key')], ENV)).code).toBe(0);
    const forged = new EditableBundle(await readTarMembers(path));
    const trusted = (JSON.parse((await runCli(['inspect', signed, '--json'])).stdout) as { signature: { keyHint: string } }).signature.keyHint;
    const sig = JSON.parse(forged.get('bundle.sig').body.toString('utf8')) as { verificationMaterial: { publicKey: { hint: string } }; dsseEnvelope: { signatures: Array<{ keyid: string }> } };
    sig.verificationMaterial.publicKey.hint = trusted;
    sig.dsseEnvelope.signatures[0]!.keyid = trusted;
    forged.get('bundle.sig').body = Buffer.from(`${JSON.stringify(sig)}\n`);
    const out = await forged.writeTar(join(work, 'forged2.tar'));
    await verifyRefused(out, ['--key', key('a', 'pub')], 'SIGNATURE_INVALID', /does not verify with key [0-9a-f]{16}, the key it names/);
    await deployRefused(out, ['--key', key('a', 'pub')], { code: 'SIGNATURE_INVALID', names: /does not verify/ });
  });

  it.skipIf(spawnSync('openssl', ['version']).status !== 0)('a bundle.sig resting on an expired X.509 certificate is refused: we trust keys, never certificates (SIGNATURE_INVALID)', async () => {
    const dir = join(work, 'ca');
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'index.txt'), '');
    await writeFile(join(dir, 'serial'), '01\n');
    await writeFile(join(dir, 'ca.cnf'), '[ca]\ndefault_ca=d\n[d]\ndatabase=index.txt\nnew_certs_dir=.\nserial=serial\ndefault_md=sha256\npolicy=p\n[p]\ncommonName=supplied\n');
    const run = (args: string[]): void => {
      const r = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
    };
    run(['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'k.pem', '-out', 'r.csr', '-subj', '/CN=airbundle expired signer']);
    run(['ca', '-batch', '-config', 'ca.cnf', '-selfsign', '-keyfile', 'k.pem', '-in', 'r.csr', '-out', 'c.pem', '-startdate', '20200101000000Z', '-enddate', '20200102000000Z']);
    const certPem = await readFile(join(dir, 'c.pem'), 'utf8');
    const der = Buffer.from(/-----BEGIN CERTIFICATE-----([\s\S]+?)-----END CERTIFICATE-----/.exec(certPem)![1]!.replace(/\s+/g, ''), 'base64');
    const privateKey = createPrivateKey(await readFile(join(dir, 'k.pem')));
    const pub = join(dir, 'cert.pub');
    await writeFile(pub, createPublicKey(privateKey).export({ type: 'spki', format: 'pem' }));

    // A DSSE envelope over our statement, signed with the certificate's key; verification material: the certificate.
    const b = new EditableBundle(fx.members);
    const manifestBytes = b.get('bundle.json').body;
    const statement = {
      _type: 'https://in-toto.io/Statement/v1',
      subject: [{ name: 'bundle.json', digest: { sha256: createHash('sha256').update(manifestBytes).digest('hex') } }],
      predicateType: 'https://airbundle.dev/bundle/v1',
      predicate: { bundleMediaType: 'application/vnd.airbundle.bundle.v1+json' },
    };
    const payload = Buffer.from(JSON.stringify(statement));
    const signature = sign('sha256', dsse.preAuthEncoding('application/vnd.in-toto+json', payload), privateKey);
    const sig = {
      mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
      verificationMaterial: { certificate: { rawBytes: der.toString('base64') }, tlogEntries: [], timestampVerificationData: { rfc3161Timestamps: [] } },
      dsseEnvelope: { payload: payload.toString('base64'), payloadType: 'application/vnd.in-toto+json', signatures: [{ sig: signature.toString('base64'), keyid: '' }] },
    };
    b.members.splice(2, 0, { name: 'bundle.sig', body: Buffer.from(`${JSON.stringify(sig)}\n`) });
    const path = await b.writeTar(join(work, 'cert-signed.tar'));
    await verifyRefused(path, ['--key', pub], 'SIGNATURE_INVALID', /certificate-signed; airbundle verifies key-signed bundles/);
    await deployRefused(path, ['--key', pub], { code: 'SIGNATURE_INVALID', names: /certificate-signed/ });
  });

  it('bundle.json changed after signing is refused (SIGNATURE_INVALID), even without --key', async () => {
    const b = new EditableBundle(await readTarMembers(signed));
    const m = b.get('bundle.json');
    m.body = Buffer.from(m.body.toString('utf8').replace('"name": "fixture"', '"name": "fixturf"'));
    const path = await b.writeTar(join(work, 'tampered.tar'));
    await verifyRefused(path, [], 'SIGNATURE_INVALID', /bundle\.json was changed after signing/);
    await verifyRefused(path, ['--key', key('a', 'pub')], 'SIGNATURE_INVALID', /bundle\.json was changed after signing/);
    await deployRefused(path, ['--key', key('a', 'pub')], { code: 'SIGNATURE_INVALID', names: /changed after signing/ });
  });

  it('an unsigned bundle under a signing policy: deploy refuses without --allow-unsigned, with or without --key; verify --key says so (SIGNATURE_MISSING)', async () => {
    await deployRefused(unsigned, [], { code: 'SIGNATURE_MISSING', names: /no --key was given/ });
    await deployRefused(unsigned, ['--key', key('a', 'pub')], { code: 'SIGNATURE_MISSING', names: /unsigned\.tar is unsigned, but --key was given/ });
    await verifyRefused(unsigned, ['--key', key('a', 'pub')], 'SIGNATURE_MISSING', /unsigned, but --key was given/);
    // A signed bundle whose bundle.sig was stripped is just as unsigned.
    const stripped = new EditableBundle(await readTarMembers(signed));
    stripped.members = stripped.members.filter((m) => m.name !== 'bundle.sig');
    const path = await stripped.writeTar(join(work, 'stripped.tar'));
    await deployRefused(path, ['--key', key('a', 'pub')], { code: 'SIGNATURE_MISSING' });
  });

  it('a key that is not a P-256 public key is refused as usage (KEY_INVALID, exit 2)', async () => {
    const r = await runCli(['verify', signed, '--key', key('a', 'key')]);
    expectRefused(r, { exit: 2, code: 'KEY_INVALID', names: /private key; pass the \.pub/ }, 'verify');
    const rsa = join(work, 'rsa.pub');
    await writeFile(rsa, generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ type: 'spki', format: 'pem' }));
    const d = await runCli(['deploy', signed, '--registry', reg.host, '--plain-http', '--render-only', join(work, 'never'), '--key', rsa]);
    expectRefused(d, { exit: 2, code: 'KEY_INVALID' }, 'deploy');
    expect(await snapshot(join(work, 'never'))).toBeUndefined();
  });
});
