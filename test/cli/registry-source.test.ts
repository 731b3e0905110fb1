import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MT_OCI_INDEX } from '../../src/bundle/layout.js';
import { descriptorFor, type Descriptor } from '../../src/content/descriptor.js';
import { Registry } from '../../src/oci/registry.js';
import { REPO, runCli, runTool } from '../support/cli.js';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy.js';
import { buildImage } from '../support/oci-image.js';
import { startRegistry, type RunningRegistry } from '../support/registry.js';

let work: string;
let reg: RunningRegistry;
let proxy: FaultProxy;
let indexDigest: string;
let armDigest: string;

/** A two-platform index (linux/amd64, linux/arm64) pushed with our client, as `multi:1`. */
async function seedMultiPlatform(host: string): Promise<void> {
  const registry = new Registry(host, { plainHttp: true, credentials: false });
  const repo = registry.repository('multi');
  const manifests: Descriptor[] = [];
  for (const arch of ['amd64', 'arm64']) {
    const img = buildImage([200_000 + manifests.length * 1000, 3000]);
    for (const d of [img.config, ...img.layers]) await repo.push(d, img.open(d));
    await repo.pushManifest(img.manifest, img.manifestBytes);
    manifests.push({ ...img.manifest, platform: { os: 'linux', architecture: arch } });
  }
  const indexBytes = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MT_OCI_INDEX, manifests }));
  const index = descriptorFor(MT_OCI_INDEX, indexBytes);
  await repo.pushManifest(index, indexBytes, '1');
  indexDigest = index.digest;
  armDigest = manifests[1]!.digest;
  registry.close();
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'airbundle-regsrc-'));
  reg = await startRegistry();
  proxy = await startFaultProxy(reg.host);
  const seeded = await runTool('skopeo', ['copy', '--dest-tls-verify=false', `oci:${join(REPO, 'bundles', 'demo', 'images', 'hello')}:v1`, `docker://${reg.host}/library/hello:v1`]);
  expect(seeded.code, seeded.stderr).toBe(0);
  await seedMultiPlatform(reg.host);
});

afterAll(async () => {
  await proxy.stop();
  await reg.stop();
  await rm(work, { recursive: true, force: true });
});

describe('registry sources at build time', () => {
  it('resolves images by tag, narrows indexes to platforms, keeps registry digests; a rebuild downloads nothing', async () => {
    const host = proxy.host;
    const spec = join(work, 'bundle.yaml');
    await writeFile(
      spec,
      `apiVersion: airbundle.dev/v1
kind: Bundle
metadata: {name: reg, version: 1.0.0}
images:
  - source: ${host}/library/hello:v1
  - source: oci://${host}/multi:1
    name: multi-all:1
  - source: ${host}/multi:1
    name: multi-arm:1
    platforms: [linux/arm64]
  - source: ${host}/multi:1
    name: multi-two:1
    platforms: [linux/arm64, linux/amd64]
`,
    );
    const cache = join(work, 'cache');
    const first = await runCli(['build', spec, '--out', join(work, 'r.tar'), '--cache', cache, '--plain-http', '--json']);
    expect(first.code, first.stderr).toBe(0);
    const byName = new Map((JSON.parse(first.stdout) as { artifacts: Array<{ name: string; digest: string }> }).artifacts.map((a) => [a.name, a.digest]));
    const helloRaw = await runTool('skopeo', ['inspect', '--raw', `oci:${join(REPO, 'bundles', 'demo', 'images', 'hello')}:v1`]);
    expect(byName.get(`${host}/library/hello:v1`)).toBe(`sha256:${createHash('sha256').update(helloRaw.stdout).digest('hex')}`);
    expect(byName.get('multi-all:1')).toBe(indexDigest);
    expect(byName.get('multi-arm:1')).toBe(armDigest);
    expect(byName.get('multi-two:1')).not.toBe(indexDigest);

    const verify = await runCli(['verify', join(work, 'r.tar')]);
    expect(verify.code, verify.stdout + verify.stderr).toBe(0);
    const inspect = JSON.parse((await runCli(['inspect', join(work, 'r.tar'), '--json'])).stdout) as { artifacts: Array<{ name: string; platforms?: string[]; provenance: { details?: Record<string, string> } }> };
    const two = inspect.artifacts.find((a) => a.name === 'multi-two:1')!;
    expect(two.platforms).toEqual(['linux/arm64', 'linux/amd64']);
    expect(two.provenance.details?.sourceDigest).toBe(indexDigest);

    const before = proxy.requests.length;
    const second = await runCli(['build', spec, '--out', join(work, 'r2.tar'), '--cache', cache, '--plain-http', '--json']);
    expect(second.code, second.stderr).toBe(0);
    const blobGets = proxy.requests.slice(before).filter((q) => q.method === 'GET' && q.url.includes('/blobs/'));
    expect(blobGets).toEqual([]);
  });

  it('takes a model artifact from a registry, and names a missing platform or tag', async () => {
    // Put a model into the registry with bundle push, then build a new bundle from it.
    const dir = join(work, 'model');
    const { writeFixtureSpec } = await import('../support/fixture-bundle.js');
    const fx = await writeFixtureSpec(dir, { bigSize: 2 * 1024 * 1024 });
    const built = await runCli(['build', fx.spec, '--out', join(dir, 'm.tar'), '--cache', join(work, 'cache')]);
    expect(built.code, built.stderr).toBe(0);
    const pushed = await runCli(['push', join(dir, 'm.tar'), '--registry', reg.host, '--plain-http', '--json']);
    expect(pushed.code, pushed.stderr).toBe(0);
    const modelDigest = (JSON.parse(pushed.stdout) as { references: Array<{ kind: string; digest: string }> }).references.find((r) => r.kind === 'model')!.digest;

    const spec = join(dir, 'from-registry.yaml');
    await writeFile(spec, `apiVersion: airbundle.dev/v1\nkind: Bundle\nmetadata: {name: again, version: 2.0.0}\nmodels:\n  - name: big\n    source: oci://${reg.host}/models/big:1.2.3\n`);
    const again = await runCli(['build', spec, '--out', join(dir, 'again.tar'), '--cache', join(work, 'cache2'), '--plain-http', '--json']);
    expect(again.code, again.stderr).toBe(0);
    const art = (JSON.parse(again.stdout) as { artifacts: Array<{ kind: string; ref: string; digest: string }> }).artifacts[0]!;
    expect(art).toMatchObject({ kind: 'model', ref: 'models/big:2.0.0', digest: modelDigest });

    await writeFile(spec, `apiVersion: airbundle.dev/v1\nkind: Bundle\nmetadata: {name: bad, version: 1.0.0}\nimages:\n  - source: ${reg.host}/multi:1\n    platforms: [linux/s390x]\n`);
    const noPlatform = await runCli(['build', spec, '--out', join(dir, 'bad.tar'), '--cache', join(work, 'cache2'), '--plain-http']);
    expect(noPlatform.code).toBe(1);
    expect(noPlatform.stderr).toMatch(/no linux\/s390x image; it offers linux\/amd64, linux\/arm64/);

    await writeFile(spec, `apiVersion: airbundle.dev/v1\nkind: Bundle\nmetadata: {name: bad, version: 1.0.0}\nimages:\n  - source: ${reg.host}/library/hello:nope\n`);
    const noTag = await runCli(['build', spec, '--out', join(dir, 'bad.tar'), '--cache', join(work, 'cache2'), '--plain-http']);
    expect(noTag.code).toBe(1);
    expect(noTag.stderr).toMatch(/MANIFEST_NOT_FOUND/);
    expect(noTag.stderr).toContain('hello:nope');
  });
});
