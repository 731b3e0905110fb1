import { createHash } from 'node:crypto';
import { copyFile, readdir, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { deployZarfPackage, splitPackage, zarfTargetFor } from '../../zarf-compat/index.js';
import { runCli, runTool } from '../support/cli.js';
import { expectCode } from '../support/matchers.js';
import { startRegistry, type RunningRegistry } from '../support/registry.js';
import { useTempDirs } from '../support/temp-dir.js';
import { aKeyPair, FIXTURE, FIXTURE_DIGEST, FIXTURE_IMAGE, FIXTURE_LAYER, repackFixture } from './zarf-fixture.js';

/** inspect runs `skopeo inspect` (optionally --raw) against the plain-HTTP test registry. */
async function inspect(ref: string, raw = false): Promise<{ code: number; json: Record<string, unknown>; stdout: string; stderr: string }> {
  const r = await runTool('skopeo', ['inspect', '--tls-verify=false', ...(raw ? ['--raw'] : []), `docker://${ref}`]);
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(r.stdout) as Record<string, unknown>;
  } catch {
    // reported through code and stderr
  }
  return { ...r, json };
}

describe('bundle push|deploy of a Zarf package', () => {
  const tempDir = useTempDirs();
  let registry: RunningRegistry;
  beforeAll(async () => {
    registry = await startRegistry();
  });
  afterAll(async () => {
    await registry?.stop();
  });

  describe('bundle push zarf-package-test-amd64-0.0.1.tar.zst', () => {
    it('pushes the image under the -zarf-<crc32> and the plain tag, digests as in the package OCI layout', async () => {
      const r = await runCli(['push', FIXTURE, '--registry', registry.host, '--plain-http', '--json']);
      expect(r.code, r.stderr).toBe(0);
      const report = JSON.parse(r.stdout) as { push: { images: Array<{ image: string; digest: string; checksummed: string; plain: string }> } };
      const target = zarfTargetFor(FIXTURE_IMAGE, registry.host);
      expect(target.checksumTag).toBe(`3.20-zarf-${1117969859}`);
      expect(report.push.images).toEqual([{ image: FIXTURE_IMAGE, digest: FIXTURE_DIGEST, checksummed: target.checksummed, plain: target.plain }]);
      for (const ref of [target.checksummed, target.plain]) {
        const seen = await inspect(ref);
        expect(seen.code, seen.stderr).toBe(0);
        expect(seen.json.Digest).toBe(FIXTURE_DIGEST);
        expect(seen.json.Layers).toEqual([FIXTURE_LAYER]);
        const raw = await inspect(ref, true);
        expect(`sha256:${createHash('sha256').update(raw.stdout).digest('hex')}`).toBe(FIXTURE_DIGEST);
      }
      const again = await runCli(['push', FIXTURE, '--registry', registry.host, '--plain-http']);
      expect(again.code, again.stderr).toBe(0);
      expect(again.stdout).toMatch(/0 blobs sent \(0 B\), 2 already there/);
    });
  });

  describe('bundle deploy --render-only', () => {
    it('renders the manifests with the pushed image, pinned by digest', async () => {
      const dir = await tempDir();
      const pkg = join(dir, 'zarf-package-test-amd64-0.0.1.tar.zst');
      await repackFixture(pkg);
      const out = join(dir, 'rendered');
      const r = await runCli(['deploy', pkg, '--registry', `${registry.host}/mirror`, '--plain-http', '--allow-unsigned', '--render-only', out]);
      expect(r.code, r.stderr).toBe(0);
      expect((await readdir(out)).sort()).toEqual(['00-namespace-nginx.yaml', '01-deployment-nginx-deployment.yaml']);
      const deployment = parse(await readFile(join(out, '01-deployment-nginx-deployment.yaml'), 'utf8')) as { metadata: { namespace: string }; spec: { template: { spec: { containers: Array<{ image: string }> } } } };
      const image = deployment.spec.template.spec.containers[0]!.image;
      expect(image).toBe(`${registry.host}/mirror/library/alpine:3.20-zarf-1117969859@${FIXTURE_DIGEST}`);
      expect(deployment.metadata.namespace).toBe('nginx');
      // skopeo takes a tag or a digest, not both (Kubernetes takes both and pulls by digest): check each.
      const [byTag, digest] = image.split('@') as [string, string];
      for (const ref of [byTag, `${byTag.slice(0, byTag.lastIndexOf(':'))}@${digest}`]) {
        const seen = await inspect(ref);
        expect(seen.code, seen.stderr).toBe(0);
        expect(seen.json.Digest).toBe(FIXTURE_DIGEST);
      }
    });

    it('reports what the package holds that deploy does not act on (the fixture deployment uses an image it does not carry)', async () => {
      const dir = await tempDir();
      const r = await runCli(['deploy', FIXTURE, '--registry', registry.host, '--plain-http', '--allow-unsigned', '--render-only', join(dir, 'out'), '--no-push']);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/warning +components\/test.tar: test\/manifests\/deployment-0.yaml: Deployment\/nginx\/nginx-deployment: container nginx uses image docker.io\/library\/nginx:1.14.2, which the package does not carry/);
    });
  });

  describe('when the package is split into parts', () => {
    it('deploys from .part000 the same way, reading the parts in place', async () => {
      const own = await startRegistry();
      try {
        const dir = await tempDir();
        const pkg = join(dir, 'zarf-package-test-amd64-0.0.1.tar.zst');
        await repackFixture(pkg);
        const parts = await splitPackage(pkg, 1_000_000);
        expect(parts.length).toBe(5);
        const meta = JSON.parse(await readFile(parts[0]!, 'utf8')) as { Sha256Sum: string; Bytes: number; Count: number };
        expect(meta).toEqual({ Sha256Sum: createHash('sha256').update(await readFile(pkg)).digest('hex'), Bytes: (await stat(pkg)).size, Count: 4 });
        await rm(pkg);
        const before = (await readdir(dir)).sort();
        const out = join(dir, 'rendered');
        const r = await runCli(['deploy', `${pkg}.part000`, '--registry', own.host, '--plain-http', '--allow-unsigned', '--render-only', out, '--json']);
        expect(r.code, r.stderr).toBe(0);
        const report = JSON.parse(r.stdout) as { push: { images: Array<{ checksummed: string; plain: string; digest: string }> } };
        expect(report.push.images[0]!.digest).toBe(FIXTURE_DIGEST);
        for (const ref of [report.push.images[0]!.checksummed, report.push.images[0]!.plain]) expect((await inspect(ref)).json.Digest).toBe(FIXTURE_DIGEST);
        const rendered = await readFile(join(out, '01-deployment-nginx-deployment.yaml'), 'utf8');
        expect(rendered).toContain(`image: ${own.host}/library/alpine:3.20-zarf-1117969859@${FIXTURE_DIGEST}`);
        // Nothing reassembled beside the parts (Zarf writes the whole tarball back next to them).
        expect((await readdir(dir)).filter((f) => f !== 'rendered').sort()).toEqual(before);
      } finally {
        await own.stop();
      }
    });

    it('refuses a missing part before reading anything', async () => {
      const dir = await tempDir();
      const pkg = join(dir, 'zarf-package-test-amd64-0.0.1.tar.zst');
      await copyFile(FIXTURE, pkg);
      const parts = await splitPackage(pkg, 1_000_000);
      await rm(parts[2]!);
      await expectCode(deployZarfPackage(parts[0]!, { registry: registry.host, allowUnsigned: true, renderOnly: join(dir, 'out') }), 'VOLUME_MISSING');
    });
  });

  describe('when the package is signed', () => {
    it('verifies zarf.bundle.sig with the publisher key before pushing', async () => {
      const dir = await tempDir();
      const pkg = join(dir, 'zarf-package-test-amd64-0.0.1.tar.zst');
      const key = await aKeyPair(dir);
      await repackFixture(pkg, { signWith: key.privateKey });
      const r = await runCli(['deploy', pkg, '--registry', registry.host, '--plain-http', '--key', key.pubPath, '--render-only', join(dir, 'out')]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/Signature zarf.bundle.sig verified/);
      const v = await runCli(['zarf', 'verify', pkg, '--key', key.pubPath]);
      expect(v.code, v.stderr).toBe(0);
      expect(v.stdout).toMatch(/^OK zarf-package-test-amd64-0.0.1.tar.zst: 11 files/m);
    });

    it('refuses another key, a missing key and an unsigned package given a key', async () => {
      const dir = await tempDir();
      const pkg = join(dir, 'zarf-package-test-amd64-0.0.1.tar.zst');
      const key = await aKeyPair(dir, 'publisher');
      const other = await aKeyPair(dir, 'other');
      await repackFixture(pkg, { signWith: key.privateKey });
      const out = join(dir, 'out');
      await expectCode(deployZarfPackage(pkg, { registry: registry.host, keys: [other.publicKey], renderOnly: out }), 'SIGNATURE_INVALID');
      await expectCode(deployZarfPackage(pkg, { registry: registry.host, renderOnly: out }), 'SIGNATURE_MISSING');
      await expectCode(deployZarfPackage(FIXTURE, { registry: registry.host, keys: [key.publicKey], renderOnly: out }), 'SIGNATURE_MISSING');
      await expect(stat(out)).rejects.toThrow();
    });
  });

  describe('bundle zarf verify', () => {
    it('checks the fixture in one read', async () => {
      const r = await runCli(['zarf', 'verify', FIXTURE, '--json']);
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({ package: 'test', version: '0.0.1', files: 9, images: 1, components: ['test'] });
    });
  });
});
