import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { build } from '../../src/build.js';
import { REPO, runCli, runTool } from '../support/cli.js';
import { startRegistry, type RunningRegistry } from '../support/registry.js';

describe('bundle zarf export BUNDLE -o zarf-package-….tar.zst', () => {
  let dir: string;
  let demo: string;
  let registry: RunningRegistry;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'airbundle-zarf-export-'));
    demo = join(dir, 'demo.tar');
    await build({ specPath: join(REPO, 'bundles', 'demo', 'bundle.yaml'), out: demo, cacheDir: join(dir, 'cache'), env: { SOURCE_DATE_EPOCH: '946684800' } });
    registry = await startRegistry();
  });
  afterAll(async () => {
    await registry?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('writes a package our verify and push accept, whose images/ layout skopeo reads, images and models named by reference', async () => {
    const pkg = join(dir, 'zarf-package-demo-amd64-0.1.0.tar.zst');
    const r = await runCli(['zarf', 'export', demo, '-o', pkg, '--arch', 'amd64', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const result = JSON.parse(r.stdout) as { images: Array<{ reference: string; kind: string; digest: string }>; blobs: number };
    expect(result.images.map((i) => i.kind).sort()).toEqual(['image', 'model']);
    const image = result.images.find((i) => i.kind === 'image')!;
    expect(image.reference).toBe('docker.io/demo/hello:v1');

    const v = await runCli(['zarf', 'verify', pkg, '--json']);
    expect(v.code, v.stderr).toBe(0);
    expect(JSON.parse(v.stdout)).toMatchObject({ package: 'demo', version: '0.1.0', images: 2 });

    const push = await runCli(['push', pkg, '--registry', registry.host, '--plain-http', '--json']);
    expect(push.code, push.stderr).toBe(0);
    const pushed = JSON.parse(push.stdout) as { push: { images: Array<{ image: string; digest: string; plain: string }> } };
    expect(pushed.push.images.map((i) => i.digest).sort()).toEqual(result.images.map((i) => i.digest).sort());

    // The format itself: zstd + tar, sorted entries, Zarf's files; skopeo copies an image out of images/.
    const out = join(dir, 'x');
    await mkdir(out);
    const untar = await runTool('tar', ['--zstd', '-xf', pkg, '-C', out]);
    expect(untar.code, untar.stderr).toBe(0);
    const list = await runTool('tar', ['--zstd', '-tf', pkg]);
    const names = list.stdout.trim().split('\n');
    expect(names).toEqual([...names].sort());
    expect(names.slice(0, 1)).toEqual(['checksums.txt']);
    expect(names).toContain('zarf.yaml');
    const def = parse(await readFile(join(out, 'zarf.yaml'), 'utf8')) as { kind: string; metadata: { name: string; architecture: string; aggregateChecksum: string }; build: Record<string, string>; components: Array<{ required: boolean; images: string[] }> };
    expect(def.kind).toBe('ZarfPackageConfig');
    expect(def.metadata).toMatchObject({ name: 'demo', architecture: 'amd64' });
    expect(def.build.timestamp).toBe('Sat, 01 Jan 2000 00:00:00 +0000');
    expect(def.components.flatMap((c) => c.images).sort()).toEqual(result.images.map((i) => i.reference).sort());
    const index = JSON.parse(await readFile(join(out, 'images', 'index.json'), 'utf8')) as { manifests: Array<{ annotations: Record<string, string> }> };
    for (const m of index.manifests) expect(m.annotations['org.opencontainers.image.base.name']).toBe(m.annotations['org.opencontainers.image.ref.name']);
    const copy = await runTool('skopeo', ['copy', `oci:${join(out, 'images')}:${image.reference}`, `oci:${join(dir, 'copied')}:hello`]);
    expect(copy.code, copy.stderr).toBe(0);
    const copied = JSON.parse(await readFile(join(dir, 'copied', 'index.json'), 'utf8')) as { manifests: Array<{ digest: string }> };
    expect(copied.manifests[0]!.digest).toBe(image.digest);
  });

  it('signs the package with --sign, as zarf package sign does: zarf verify --key checks it', async () => {
    const env = { AIRBUNDLE_PASSPHRASE: 'export-pass' };
    const keygen = await runCli(['keygen', '--out', join(dir, 'publisher')], env);
    expect(keygen.code, keygen.stderr).toBe(0);
    const pkg = join(dir, 'signed', 'zarf-package-demo-amd64-0.1.0.tar.zst');
    await mkdir(join(dir, 'signed'));
    const r = await runCli(['zarf', 'export', demo, '-o', pkg, '--arch', 'amd64', '--sign', join(dir, 'publisher.key')], env);
    expect(r.code, r.stderr).toBe(0);
    const v = await runCli(['zarf', 'verify', pkg, '--key', join(dir, 'publisher.pub'), '--json']);
    expect(v.code, v.stderr).toBe(0);
    expect(JSON.parse(v.stdout)).toMatchObject({ signed: 'zarf.bundle.sig', signedBy: { file: 'zarf.bundle.sig' } });
    const wrong = await runCli(['zarf', 'export', demo, '-o', join(dir, 'signed', 'x.tar.zst'), '--sign', join(dir, 'publisher.key')], { AIRBUNDLE_PASSPHRASE: 'not-it' });
    expect(wrong.code).not.toBe(0);
    expect(wrong.stderr).toMatch(/KEY_PASSPHRASE/);
  });

  it('refuses an output name that is not .tar.zst or .tar (USAGE) and a missing bundle', async () => {
    const bad = await runCli(['zarf', 'export', demo, '-o', join(dir, 'out.zip')]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/a Zarf package ends in \.tar\.zst/);
    const none = await runCli(['zarf', 'export', join(dir, 'nope.tar'), '-o', join(dir, 'p.tar.zst')]);
    expect(none.code).not.toBe(0);
    expect(none.stderr).toMatch(/BUNDLE_NOT_FOUND|nope\.tar/);
  });
});
