import { mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AirbundleError } from '../../src/errors.js';
import { deployZarfPackage, openPackageSource, readPackageFiles, splitPackage } from '../../zarf-compat/index.js';
import { runCli } from '../support/cli.js';
import { startRegistry, type RunningRegistry } from '../support/registry.js';
import { useTempDirs } from '../support/temp-dir.js';
import { aKeyPair, flipped, repackFixture, tarEntries, zstd } from './zarf-fixture.js';

/** catalog lists the repositories of the registry: it must stay empty while every tampered package is refused. */
async function catalog(host: string): Promise<string[]> {
  const res = await fetch(`http://${host}/v2/_catalog`);
  return ((await res.json()) as { repositories: string[] }).repositories;
}

/** refusal runs a deploy that must fail, and returns its error. */
async function refusal(run: Promise<unknown>, what = 'a tampered package'): Promise<AirbundleError> {
  const err = await run.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, `${what} was deployed`).not.toBeUndefined();
  expect(err, `refused, but without a typed error: ${String(err)} ${(err as Error)?.stack ?? ''}`).toBeInstanceOf(AirbundleError);
  return err as AirbundleError;
}

describe('a Zarf package with one byte changed', () => {
  const tempDir = useTempDirs();
  let registry: RunningRegistry;
  let signedTar: Buffer;
  let pub: Awaited<ReturnType<typeof aKeyPair>>;
  let work: string;
  beforeAll(async () => {
    registry = await startRegistry();
    // Not from useTempDirs: those go after each test, and this one serves the whole file.
    work = await mkdtemp(join(tmpdir(), 'airbundle-zarf-tamper-'));
    pub = await aKeyPair(work);
    const pkg = join(work, 'signed.tar');
    await repackFixture(pkg, { signWith: pub.privateKey });
    const { readFile } = await import('node:fs/promises');
    signedTar = await readFile(pkg);
  });
  afterAll(async () => {
    await registry?.stop();
    if (work !== undefined) await rm(work, { recursive: true, force: true });
  });

  /** deploy tries a tampered package (.tar.zst made from tar bytes) with the publisher key and --render-only. */
  const deploy = async (tar: Buffer, name: string): Promise<{ err: AirbundleError; out: string }> => {
    const dir = join(work, name.replaceAll('/', '_'));
    await mkdir(dir, { recursive: true });
    const pkg = join(dir, 'zarf-package-test-amd64-0.0.1.tar.zst');
    await writeFile(pkg, zstd(tar));
    const out = join(dir, 'rendered');
    const err = await refusal(deployZarfPackage(pkg, { registry: registry.host, connection: { plainHttp: true, credentials: false }, keys: [pub.publicKey], renderOnly: out }), name);
    return { err, out };
  };

  it('is refused before anything is rendered or pushed, naming the file, whichever file the byte is in', async () => {
    const files = tarEntries(signedTar).filter((e) => e.type === '0' && e.size > 0);
    expect(files.map((f) => f.name)).toEqual([
      'checksums.txt',
      'components/test.tar',
      'images/blobs/sha256/0a9a5dfd008f05ebc27e4790db0709a29e527690c21bcbcd01481eaeb6bb49dc',
      'images/blobs/sha256/43180c492a5e6cedd8232e8f77a454f666f247586853eecb90258b26688ad1d3',
      'images/blobs/sha256/ff221270b9fb7387b0ad9ff8f69fbbd841af263842e62217392f18c3b5226f38',
      'images/index.json',
      'images/oci-layout',
      'sboms.tar',
      'zarf.bundle.sig',
      'zarf.yaml',
      'zarf.yaml.sig',
    ]);
    for (const f of files) {
      for (const at of [0, Math.floor(f.size / 2), f.size - 1]) {
        const { err, out } = await deploy(flipped(signedTar, f.data + at), `${f.name}-${at}`);
        expect(['ZARF_PACKAGE_CORRUPT', 'SIGNATURE_INVALID'], `${f.name}+${at}: ${err.code} ${err.message}`).toContain(err.code);
        expect(String(err.details?.file ?? ''), `${f.name}+${at}: ${err.message}`).toContain(f.name);
        expect(err.message).toContain(f.name);
        await expect(stat(out), `${f.name}: rendered output exists`).rejects.toThrow();
      }
    }
    expect(await catalog(registry.host)).toEqual([]);
  });

  it('is refused when the byte is in a tar header', async () => {
    for (const f of tarEntries(signedTar).filter((e) => e.type === '0')) {
      for (const field of [3, 125, 200]) {
        const { err, out } = await deploy(flipped(signedTar, f.header + field), `header-${f.name}-${field}`);
        expect(err.code, `${f.name} header+${field}: ${err.message}`).toBe('ZARF_PACKAGE_CORRUPT');
        await expect(stat(out)).rejects.toThrow();
      }
    }
    expect(await catalog(registry.host)).toEqual([]);
  });

  it('is refused when the byte is in the compressed .tar.zst', async () => {
    const compressed = zstd(signedTar);
    const dir = join(work, 'compressed');
    await mkdir(dir, { recursive: true });
    for (let i = 0; i < 24; i += 1) {
      const at = Math.floor(((i + 0.5) * compressed.length) / 24);
      const pkg = join(dir, `zarf-package-test-amd64-0.0.1-${i}.tar.zst`);
      await writeFile(pkg, flipped(compressed, at));
      const err = await refusal(deployZarfPackage(pkg, { registry: registry.host, connection: { plainHttp: true, credentials: false }, keys: [pub.publicKey], renderOnly: join(dir, `out-${i}`) }));
      expect(['ZARF_PACKAGE_CORRUPT', 'SIGNATURE_INVALID'], `offset ${at}: ${err.message}`).toContain(err.code);
      expect(err.message, `offset ${at}`).toMatch(/zarf-package-test|zarf\.yaml|checksums|components|images|sboms/);
    }
    expect(await catalog(registry.host)).toEqual([]);
  });

  it('is refused when the byte is in one part of a split package, even in padding', async () => {
    const dir = await tempDir();
    const pkg = join(dir, 'zarf-package-test-amd64-0.0.1.tar');
    await writeFile(pkg, signedTar);
    const parts = await splitPackage(pkg, 1_000_000);
    // The bytes after a file's end up to the next 512-byte block are padding: no file covers them, the split checksum does.
    const { readFile } = await import('node:fs/promises');
    const checksums = tarEntries(signedTar).find((e) => e.name === 'checksums.txt')!;
    const at = checksums.data + checksums.size + 10;
    expect(at).toBeLessThan(1_000_000);
    await writeFile(parts[1]!, flipped(await readFile(parts[1]!), at));
    const err = await refusal(deployZarfPackage(parts[0]!, { registry: registry.host, connection: { plainHttp: true, credentials: false }, keys: [pub.publicKey], renderOnly: join(dir, 'out') }));
    expect(err.code).toBe('ZARF_PACKAGE_CORRUPT');
    expect(err.message).toMatch(/a part was changed or swapped/);
  });

  it('is refused from the CLI with the file named and exit code 1', async () => {
    const dir = await tempDir();
    const blob = tarEntries(signedTar).find((e) => e.name.endsWith('0a9a5dfd008f05ebc27e4790db0709a29e527690c21bcbcd01481eaeb6bb49dc'))!;
    const pkg = join(dir, 'zarf-package-test-amd64-0.0.1.tar.zst');
    await writeFile(pkg, zstd(flipped(signedTar, blob.data + 1_000_000)));
    const out = join(dir, 'out');
    const r = await runCli(['deploy', pkg, '--registry', registry.host, '--plain-http', '--key', pub.pubPath, '--render-only', out]);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/error \[ZARF_PACKAGE_CORRUPT\]: zarf-package-test-amd64-0.0.1.tar.zst: images\/blobs\/sha256\/0a9a5dfd\S+ has sha256 \S+, not the digest it is named by/);
    await expect(stat(out)).rejects.toThrow();
    expect(await catalog(registry.host)).toEqual([]);
  });

  it('leaves the untampered package deployable (control)', async () => {
    const dir = await tempDir();
    const pkg = join(dir, 'zarf-package-test-amd64-0.0.1.tar.zst');
    await writeFile(pkg, zstd(signedTar));
    const files = await readPackageFiles(await openPackageSource(pkg));
    expect(files.length).toBe(11);
    const report = await deployZarfPackage(pkg, { registry: registry.host, connection: { plainHttp: true, credentials: false }, keys: [pub.publicKey], renderOnly: join(dir, 'out') });
    expect(report.signedBy?.file).toBe('zarf.bundle.sig');
    expect(await catalog(registry.host)).toEqual(['library/alpine']);
  });
});
