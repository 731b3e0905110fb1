import { randomBytes } from 'node:crypto';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import tar from 'tar-stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { build } from '../../src/build.js';
import { BundleReader } from '../../src/bundle/reader.js';
import type { Artifact } from '../../src/bundle/manifest.js';
import { descriptorFor, type Descriptor } from '../../src/content/descriptor.js';
import type { ReadOnlyStorage } from '../../src/content/storage.js';
import { MemoryStore, UnionStorage } from '../../src/content/memory-store.js';
import { modelcarRequests } from '../../src/deploy/modelcars.js';
import { buildModelcar, findModelcar, prepareModelcar, pushModelcar, MT_MODELCAR_LAYER } from '../../src/modelcar/index.js';
import { openLayer } from '../../src/modelcar/modelcar-layer.js';
import { Registry } from '../../src/oci/registry.js';
import { pushBundle } from '../../src/targets/registry/push-bundle.js';
import { REPO } from '../support/cli.js';
import { modelPackInMemory, ollamaInMemory } from '../support/model-fixtures.js';
import { expectCode } from '../support/matchers.js';
import { readAll, skopeo, skopeoPolicy } from '../support/oci-image.js';
import { startRegistry, type RunningRegistry } from '../support/registry.js';

let work: string;
let reg: RunningRegistry;
let bundle: string;
const files: Record<string, Buffer> = {
  'config.json': Buffer.from('{"model_type":"tiny"}\n'),
  'model.safetensors': randomBytes(2 * 1024 * 1024 + 333),
  'tokenizer/vocab.txt': Buffer.from('a\nb\n'),
};

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'airbundle-modelcar-'));
  reg = await startRegistry();
  const spec = join(work, 'spec');
  for (const [path, bytes] of Object.entries(files)) {
    await mkdir(join(spec, 'model', path, '..'), { recursive: true });
    await writeFile(join(spec, 'model', path), bytes);
  }
  await cp(join(REPO, 'bundles', 'demo', 'images', 'hello'), join(spec, 'hello'), { recursive: true });
  await writeFile(
    join(spec, 'bundle.yaml'),
    `apiVersion: airbundle.dev/v1
kind: Bundle
metadata: {name: mc, version: 1.0.0}
options: {chunkSize: 1M}
models:
  - {name: tiny, source: file://./model}
images:
  - {source: "oci-layout:./hello:v1", name: "docker.io/library/busybox:1.37"}
`,
  );
  bundle = join(work, 'mc.tar.zst');
  await build({ specPath: join(spec, 'bundle.yaml'), out: bundle, cacheDir: join(work, 'cache'), env: { SOURCE_DATE_EPOCH: '946684800' } });
});

afterAll(async () => {
  await reg.stop();
  await rm(work, { recursive: true, force: true });
});

/** tarEntries lists a tar's entries with their bodies (small test layers only). */
async function tarEntries(bytes: Buffer): Promise<Map<string, { type: string; mode: number; uid: number; mtime: number; body: Buffer }>> {
  const out = new Map<string, { type: string; mode: number; uid: number; mtime: number; body: Buffer }>();
  const extract = tar.extract();
  const done = new Promise<void>((resolve, reject) => {
    extract.on('entry', (header, stream, next) => {
      const parts: Buffer[] = [];
      stream.on('data', (c: unknown) => parts.push(c as Buffer));
      stream.on('end', () => {
        out.set(header.name, { type: header.type ?? 'file', mode: header.mode ?? 0, uid: header.uid ?? -1, mtime: header.mtime?.getTime() ?? 0, body: Buffer.concat(parts) });
        next();
      });
      stream.resume();
    });
    extract.on('finish', resolve);
    extract.on('error', reject);
  });
  Readable.from([bytes]).pipe(extract);
  await done;
  return out;
}

async function modelFiles(reader: BundleReader, model: Artifact): Promise<Descriptor[]> {
  return (JSON.parse((await readAll(await reader.fetch(model.root as Descriptor))).toString('utf8')) as { layers: Descriptor[] }).layers;
}

async function openBundle(): Promise<{ reader: BundleReader; model: Artifact; base: Artifact }> {
  const reader = await BundleReader.open(bundle);
  const model = reader.manifest.artifacts.find((a) => a.kind === 'model')!;
  const base = reader.manifest.artifacts.find((a) => a.kind === 'image')!;
  return { reader, model, base };
}

describe('modelcar', () => {
  it('is reproducible: two builds from the bundle give the same digests and layer bytes', async () => {
    const { reader, model, base } = await openBundle();
    try {
      const a = await buildModelcar(await prepareModelcar(reader, model, base));
      const b = await buildModelcar(await prepareModelcar(reader, model, base));
      expect(a.root.digest).toBe(b.root.digest);
      expect(a.layer).toEqual(b.layer);
      expect(a.layer.mediaType).toBe(MT_MODELCAR_LAYER);
      const layer = await readAll(openLayer(a.prepared.entries));
      expect(descriptorFor(MT_MODELCAR_LAYER, layer).digest).toBe(a.layer.digest);
      // Resuming at an offset gives the rest of the same bytes.
      expect((await readAll(openLayer(a.prepared.entries, 12345))).equals(layer.subarray(12345))).toBe(true);
      const entries = await tarEntries(layer);
      expect([...entries.keys()]).toEqual(['airbundle/', 'airbundle/modelcar-provenance.json', 'models/', 'models/config.json', 'models/model.safetensors', 'models/tokenizer/', 'models/tokenizer/vocab.txt']);
      for (const e of entries.values()) {
        expect(e.uid).toBe(0);
        expect(e.mtime).toBe(Date.parse('2000-01-01T00:00:00Z'));
        expect(e.mode).toBe(e.type === 'directory' ? 0o755 : 0o644);
      }
    } finally {
      await reader.close();
    }
  });

  it('pushes to a real registry with provenance; skopeo inspects and copies it; the layer holds the model files under models/', async () => {
    const { reader, model, base } = await openBundle();
    const registry = new Registry(reg.host, { plainHttp: true, credentials: false });
    try {
      await pushBundle(bundle, { registry: `${reg.host}/airgap`, connection: { plainHttp: true, credentials: false } });
      const prepared = await prepareModelcar(reader, model, base);
      expect(await findModelcar(registry, prepared, { prefix: 'airgap' })).toBeUndefined();
      const built = await buildModelcar(prepared);
      const pushed = await pushModelcar(registry, built, { prefix: 'airgap' });
      expect(pushed.reference).toBe(`${reg.host}/airgap/modelcars/tiny:1.0.0`);
      expect(pushed.digest).toBe(built.root.digest);
      // A second push sends nothing; the registry now answers for the same key.
      expect((await pushModelcar(registry, built, { prefix: 'airgap' })).bytes).toBe(0);
      expect((await findModelcar(registry, prepared, { prefix: 'airgap' }))?.digest).toBe(built.root.digest);

      const ref = `docker://${reg.host}/airgap/modelcars/tiny@${built.root.digest}`;
      const raw = JSON.parse(await skopeo(['inspect', '--raw', '--tls-verify=false', ref])) as { mediaType: string; layers: Array<{ mediaType: string; digest: string }>; annotations: Record<string, string> };
      expect(raw.mediaType).toBe('application/vnd.oci.image.manifest.v1+json');
      expect(raw.layers.at(-1)).toMatchObject({ mediaType: MT_MODELCAR_LAYER, digest: built.layer.digest });
      expect(raw.annotations).toMatchObject({
        'org.opencontainers.image.title': 'tiny',
        'org.opencontainers.image.base.name': 'docker.io/library/busybox:1.37',
        'dev.airbundle.modelcar.model': 'models/tiny:1.0.0',
        'dev.airbundle.modelcar.model.digest': model.root.digest,
        'dev.airbundle.modelcar.source': 'file://./model',
      });
      const summary = JSON.parse(raw.annotations['dev.airbundle.modelcar.provenance']!) as { model: { provenance: { type: string } } };
      expect(summary.model.provenance.type).toBe('file');
      const config = JSON.parse(await skopeo(['inspect', '--config', '--tls-verify=false', ref])) as { rootfs: { diff_ids: string[] }; config: { Cmd: string[] } };
      expect(config.rootfs.diff_ids.at(-1)).toBe(built.layer.digest);
      expect(config.config.Cmd).toEqual(['/bin/sh', '/hello/run.sh']);

      const layout = join(work, 'layout');
      await skopeo(['copy', '--preserve-digests', '--policy', await skopeoPolicy(work), '--src-tls-verify=false', ref, `oci:${layout}:car`]);
      const layerBytes = await readFile(join(layout, 'blobs', 'sha256', built.layer.digest.slice(7)));
      const entries = await tarEntries(layerBytes);
      for (const [path, bytes] of Object.entries(files)) expect(entries.get(`models/${path}`)?.body.equals(bytes), path).toBe(true);
      const doc = JSON.parse(entries.get('airbundle/modelcar-provenance.json')!.body.toString('utf8')) as { files: Array<{ path: string; size: number }>; base: { digest: string } };
      expect(doc.files.map((f) => f.path)).toEqual(['models/config.json', 'models/model.safetensors', 'models/tokenizer/vocab.txt']);
      expect(doc.base.digest).toBe(base.root.digest);
    } finally {
      registry.close();
      await reader.close();
    }
  });

  it('uploads the base layers when the base image was never pushed (a mount that cannot happen)', async () => {
    const { reader, model, base } = await openBundle();
    const registry = new Registry(reg.host, { plainHttp: true, credentials: false });
    try {
      const built = await buildModelcar(await prepareModelcar(reader, model, base));
      const pushed = await pushModelcar(registry, built, { prefix: 'fresh' });
      expect(pushed.bytes).toBeGreaterThan(built.layer.size);
      const inspect = await skopeo(['inspect', '--tls-verify=false', `docker://${reg.host}/fresh/modelcars/tiny:1.0.0`]);
      expect((JSON.parse(inspect) as { Digest: string }).Digest).toBe(built.root.digest);
    } finally {
      registry.close();
      await reader.close();
    }
  });

  it('on a multi-platform base, is an index of one modelcar per platform (Docker media types in their OCI form)', async () => {
    const model = modelPackInMemory({ 'config.json': Buffer.from('{}'), 'w.safetensors': randomBytes(1000) }, { type: 'hf', uri: 'https://huggingface.co/org/m', revision: 'a'.repeat(40), resolvedAt: '2024-03-01T10:00:00Z', details: { repo: 'org/m' } });
    const base = new MemoryStore();
    const platforms = ['amd64', 'arm64'].map((arch) => {
      const layer = base.add('application/vnd.docker.image.rootfs.diff.tar.gzip', randomBytes(100));
      const config = base.add('application/vnd.docker.container.image.v1+json', JSON.stringify({ architecture: arch, os: 'linux', config: { Cmd: ['sh'] }, rootfs: { type: 'layers', diff_ids: [`sha256:${'f'.repeat(64)}`] }, history: [{ created_by: 'x' }] }));
      const manifest = base.add('application/vnd.docker.distribution.manifest.v2+json', JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.docker.distribution.manifest.v2+json', config, layers: [layer] }));
      return { ...manifest, platform: { architecture: arch, os: 'linux' } };
    });
    const attestation = base.add('application/vnd.oci.image.manifest.v1+json', JSON.stringify({ schemaVersion: 2, config: platforms[0], layers: [] }));
    const list = base.add('application/vnd.docker.distribution.manifest.list.v2+json', JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.docker.distribution.manifest.list.v2+json', manifests: [...platforms, { ...attestation, platform: { architecture: 'unknown', os: 'unknown' } }] }));
    const baseArtifact: Artifact = { kind: 'image', name: 'docker.io/library/busybox:1.37', ref: 'docker.io/library/busybox:1.37', source: 'docker.io/library/busybox:1.37', root: list, provenance: { type: 'oci', uri: 'docker.io/library/busybox:1.37' } };
    const storage = new UnionStorage([model.storage, base]);
    const built = await buildModelcar(await prepareModelcar(storage, model.artifact, baseArtifact));
    const index = JSON.parse(built.rootBytes.toString('utf8')) as { mediaType: string; manifests: Array<{ digest: string; platform: { architecture: string } }>; annotations: Record<string, string> };
    expect(index.mediaType).toBe('application/vnd.oci.image.index.v1+json');
    expect(index.manifests.map((m) => m.platform.architecture)).toEqual(['amd64', 'arm64']);
    expect(index.annotations).toMatchObject({ 'org.opencontainers.image.source': 'https://huggingface.co/org/m', 'org.opencontainers.image.revision': 'a'.repeat(40), 'org.opencontainers.image.created': '2024-03-01T10:00:00Z' });
    const arm = JSON.parse((await readAll(await built.storage.fetch({ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: index.manifests[1]!.digest as never, size: 0 }))).toString('utf8')) as { layers: Array<{ mediaType: string }>; config: { digest: string; size: number; mediaType: string } };
    expect(arm.layers.map((l) => l.mediaType)).toEqual(['application/vnd.oci.image.layer.v1.tar+gzip', MT_MODELCAR_LAYER]);
    const armConfig = JSON.parse((await readAll(await built.storage.fetch(arm.config as never))).toString('utf8')) as { architecture: string; rootfs: { diff_ids: string[] }; history: unknown[]; created: string };
    expect(armConfig).toMatchObject({ architecture: 'arm64', created: '2024-03-01T10:00:00Z' });
    expect(armConfig.rootfs.diff_ids).toEqual([`sha256:${'f'.repeat(64)}`, built.layer.digest]);
    expect(armConfig.history).toHaveLength(2);

    const registry = new Registry(reg.host, { plainHttp: true, credentials: false });
    try {
      await pushModelcar(registry, built, { prefix: 'multi' });
      const raw = await skopeo(['inspect', '--raw', '--tls-verify=false', `docker://${reg.host}/multi/modelcars/tiny:1`]);
      expect(JSON.parse(raw)).toEqual(index);
    } finally {
      registry.close();
    }
  });

  it('stops with DIGEST_MISMATCH when a model file in the bundle is damaged, instead of hashing bad bytes', async () => {
    const { reader, model, base } = await openBundle();
    try {
      const weights = (await modelFiles(reader, model)).find((l) => l.annotations?.['org.cncf.model.filepath'] === 'model.safetensors')!;
      const damaged: ReadOnlyStorage = {
        exists: (d) => reader.exists(d),
        fetch: async (d, o) => {
          const body = await reader.fetch(d, o);
          if (d.digest !== weights.digest) return body;
          const bytes = await readAll(body);
          bytes[bytes.length >> 1] ^= 0xff;
          return Readable.from([bytes]);
        },
      };
      await expectCode(prepareModelcar(damaged, model, base).then((p) => buildModelcar(p)), 'DIGEST_MISMATCH');
    } finally {
      await reader.close();
    }
  });

  it('refuses an Ollama model, a base that is not in the bundle, and two bases for one model', () => {
    const { artifact: ollama } = ollamaInMemory();
    const { artifact: tiny } = modelPackInMemory({ 'a.bin': Buffer.from('x') }, { type: 'file', uri: '/m' });
    const image: Artifact = { kind: 'image', name: 'busybox:1', ref: 'docker.io/library/busybox:1', source: 'busybox:1', root: { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: `sha256:${'1'.repeat(64)}`, size: 1 }, provenance: { type: 'oci', uri: 'x' } };
    const other: Artifact = { ...image, name: 'alpine:3', ref: 'docker.io/library/alpine:3', source: 'alpine:3', root: { ...image.root, digest: `sha256:${'2'.repeat(64)}` } };
    const manifest = () => ({ artifacts: [ollama, tiny, image, other] }) as never;
    expect(() => modelcarRequests(manifest(), { workloads: [{ generator: 'kserve', name: 'k', model: ollama.name, storage: 'modelcar', baseImage: 'busybox:1' }] })).toThrow(/Ollama model/);
    expect(() => modelcarRequests(manifest(), { workloads: [{ generator: 'modelcar', name: 'k', model: 'tiny', baseImage: 'nginx:1' }] })).toThrow(/base image nginx:1, which is not in this bundle/);
    expect(() => modelcarRequests(manifest(), { workloads: [{ generator: 'modelcar', name: 'k', model: 'tiny' }] })).toThrow(/set baseImage/);
    expect(() =>
      modelcarRequests(manifest(), {
        workloads: [
          { generator: 'modelcar', name: 'a', model: 'tiny', baseImage: 'busybox:1' },
          { generator: 'kserve', name: 'b', model: 'tiny', storage: 'modelcar', baseImage: 'alpine:3' },
        ],
      }),
    ).toThrow(/two different base images/);
    const one = modelcarRequests(manifest(), {
      loaderImage: 'busybox:1',
      workloads: [
        { generator: 'modelcar', name: 'a', model: 'tiny' },
        { generator: 'kserve', name: 'b', model: 'models/tiny:1', storage: 'modelcar', baseImage: 'docker.io/library/busybox:1' },
        { generator: 'kserve', name: 'c', model: 'tiny', storage: 'oci' },
      ],
    });
    expect(one.map((r) => [r.model.name, r.base.name, r.workloads])).toEqual([['tiny', 'busybox:1', ['a', 'b']]]);
  });
});
