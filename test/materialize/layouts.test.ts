import { scanCacheDir } from '@huggingface/hub';
import { lstat, mkdir, mkdtemp, readFile, readdir, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BundleReader } from '../../src/bundle/reader.js';
import { DONE_FILE, MATERIALIZED_FILE } from '../../src/materialize/marker-files.js';
import { materializeModel } from '../../src/materialize/materialize-model.js';
import { planMaterialization } from '../../src/materialize/plan-materialization.js';
import { writePlan } from '../../src/materialize/write-plan.js';
import { expectCode } from '../support/matchers.js';
import { buildModelBundle, digestOf, modelPackInMemory, ollamaInMemory, rawModelPack, type ModelBundle } from '../support/model-fixtures.js';
import { useTempDirs } from '../support/temp-dir.js';

const tempDir = useTempDirs();
let fx: ModelBundle;
let manifestDigest: string;
let shared: string;

beforeAll(async () => {
  shared = await mkdtemp(join(tmpdir(), 'airbundle-mat-'));
  fx = await buildModelBundle(shared);
  const reader = await BundleReader.open(fx.bundle);
  manifestDigest = reader.manifest.artifacts[0]!.root.digest;
  await reader.close();
});

afterAll(async () => {
  await rm(shared, { recursive: true, force: true });
});

/** listTree returns every regular file under dir, relative, sorted, with its bytes. */
async function listTree(dir: string, prefix = ''): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  for (const e of await readdir(join(dir, prefix), { withFileTypes: true })) {
    const rel = prefix === '' ? e.name : `${prefix}/${e.name}`;
    if (e.isDirectory()) for (const [k, v] of await listTree(dir, rel)) out.set(k, v);
    else out.set(rel, await readFile(join(dir, rel)));
  }
  return new Map([...out].sort(([a], [b]) => (a < b ? -1 : 1)));
}

describe('materializeModel', () => {
  describe('plain layout', () => {
    it('writes every file at its org.cncf.model.filepath, then the manifest and .done; a second run writes nothing', async () => {
      const to = join(await tempDir(), 'pvc');
      const events: string[] = [];
      const r = await materializeModel(fx.bundle, { model: 'tiny', layout: 'plain', to, onEvent: (e) => events.push(e.type) });
      expect(r.written).toBe(4);
      expect(r.skipped).toBe(0);
      expect(r.bytes).toBe(Object.values(fx.files).reduce((n, b) => n + b.length, 0));
      expect(r.files).toEqual(Object.keys(fx.files).sort());
      expect(r.root).toBe(to);
      expect(r.modelPath).toBe(to);
      const tree = await listTree(to);
      expect([...tree.keys()]).toEqual(['.airbundle-materialized.json', '.done', 'config.json', 'extra/vocab.txt', 'model.safetensors', 'tokenizer.json']);
      for (const [path, bytes] of Object.entries(fx.files)) expect(tree.get(path)!.equals(bytes), path).toBe(true);

      const manifest = JSON.parse(tree.get(MATERIALIZED_FILE)!.toString()) as { artifact: { ref: string; digest: string }; layout: string; files: Array<{ path: string; digest: string; size: number }> };
      expect(manifest.artifact).toMatchObject({ ref: 'models/tiny:0.2.0', digest: manifestDigest });
      expect(manifest.layout).toBe('plain');
      expect(manifest.files).toEqual(Object.keys(fx.files).sort().map((p) => ({ path: p, digest: digestOf(fx.files[p]!), size: fx.files[p]!.length })));
      expect(tree.get(DONE_FILE)!.toString()).toBe(`${digestOf(tree.get(MATERIALIZED_FILE)!)}\n`);
      expect(events).toContain('bytes');

      const before = (await lstat(join(to, 'model.safetensors'))).mtimeMs;
      const again = await materializeModel(fx.bundle, { model: 'models/tiny:0.2.0', layout: 'plain', to });
      expect(again).toMatchObject({ written: 0, skipped: 4, bytes: 0 });
      expect((await lstat(join(to, 'model.safetensors'))).mtimeMs).toBe(before);
    });

    it('reads the same bytes from every physical form of the bundle (directory, tar)', async () => {
      const dir = await tempDir();
      for (const out of ['dir-bundle', 'b.tar']) {
        const b = await buildModelBundle(join(dir, out === 'b.tar' ? 't' : 'd'), out);
        const to = join(dir, `to-${out}`);
        const r = await materializeModel(b.bundle, { model: 'tiny', layout: 'plain', to });
        expect(r.written).toBe(4);
        expect((await readFile(join(to, 'model.safetensors'))).equals(b.files['model.safetensors']!)).toBe(true);
      }
    });
  });

  describe('hf-cache layout', () => {
    it('is recognised by @huggingface/hub scanCacheDir: repo airbundle/<name>, commit from the manifest digest, every file with its size, real files', async () => {
      const to = join(await tempDir(), 'hub');
      const r = await materializeModel(fx.bundle, { model: 'tiny', layout: 'hf-cache', to });
      const commit = manifestDigest.slice('sha256:'.length, 'sha256:'.length + 40);
      const repoDir = join(to, 'models--airbundle--tiny');
      expect(r.modelName).toBe('airbundle/tiny');
      expect(r.modelPath).toBe(join(repoDir, 'snapshots', commit));
      expect(await readFile(join(repoDir, 'refs', 'main'), 'utf8')).toBe(commit); // no trailing newline

      const scan = await scanCacheDir(to);
      expect(scan.warnings).toEqual([]);
      expect(scan.repos).toHaveLength(1);
      const repo = scan.repos[0]!;
      expect(repo.id).toEqual({ name: 'airbundle/tiny', type: 'model' });
      expect(repo.revisions).toHaveLength(1);
      const rev = repo.revisions[0]!;
      expect(rev.commitOid).toBe(commit);
      expect(rev.refs).toEqual(['main']);
      // @huggingface/hub 2.17 scanSnapshotDir does not descend into subdirectories (huggingface_hub's Python
      // scan does), so it sees the top-level files; the nested one is checked on disk below.
      const seen = new Map(rev.files.map((f) => [f.path.slice(rev.path.length + 1), f.blob.size]));
      for (const [path, bytes] of Object.entries(fx.files)) {
        if (path.includes('/')) continue;
        expect(seen.get(path), path).toBe(bytes.length);
      }
      for (const [path, bytes] of Object.entries(fx.files)) {
        const st = await lstat(join(r.modelPath, path));
        expect(st.isFile() && !st.isSymbolicLink(), `${path} is a real file`).toBe(true);
        expect((await readFile(join(r.modelPath, path))).equals(bytes)).toBe(true);
      }
    });

    it('takes the repo and commit from hf provenance', async () => {
      const commit = 'a'.repeat(40);
      const files = { 'config.json': Buffer.from('{}'), 'model.safetensors': Buffer.from('weights') };
      const m = modelPackInMemory(files, { type: 'hf', uri: 'https://huggingface.co/Org-X/Tiny.Model', revision: commit, details: { repo: 'Org-X/Tiny.Model' } });
      const plan = await planMaterialization(m.storage, m.artifact, 'hf-cache');
      const to = join(await tempDir(), 'hub');
      // A cache filled by huggingface_hub has symlinks into blobs/; ours replaces them with real files.
      const snapshot = join(to, 'models--Org-X--Tiny.Model', 'snapshots', commit);
      await mkdir(snapshot, { recursive: true });
      await symlink('../../blobs/0123', join(snapshot, 'config.json'));
      const r = await writePlan(plan, to);
      expect((await lstat(join(snapshot, 'config.json'))).isSymbolicLink()).toBe(false);
      expect(r.modelName).toBe('Org-X/Tiny.Model');
      const scan = await scanCacheDir(to);
      expect(scan.warnings).toEqual([]);
      const repo = scan.repos[0]!;
      expect(repo.id.name).toBe('Org-X/Tiny.Model');
      expect(repo.revisions[0]!.commitOid).toBe(commit);
      expect(repo.revisions[0]!.refs).toEqual(['main']);
      expect(repo.revisions[0]!.files.map((f) => [f.path.slice(repo.revisions[0]!.path.length + 1), f.blob.size]).sort()).toEqual([
        ['config.json', 2],
        ['model.safetensors', 7],
      ]);
    });

    it('refuses hf provenance without a 40-hex commit or with a bad repo id', async () => {
      const files = { 'config.json': Buffer.from('{}') };
      const noCommit = modelPackInMemory(files, { type: 'hf', uri: 'x', revision: 'main', details: { repo: 'org/name' } });
      await expectCode(planMaterialization(noCommit.storage, noCommit.artifact, 'hf-cache'), 'BUNDLE_CORRUPT');
      const badRepo = modelPackInMemory(files, { type: 'hf', uri: 'x', revision: 'b'.repeat(40), details: { repo: '../etc' } });
      await expectCode(planMaterialization(badRepo.storage, badRepo.artifact, 'hf-cache'), 'BUNDLE_CORRUPT');
    });
  });

  describe('ollama layout', () => {
    it('writes manifests/<host>/<ns>/<model>/<tag> byte for byte and blobs/sha256-<hex> for the config and every layer', async () => {
      const m = ollamaInMemory();
      const plan = await planMaterialization(m.storage, m.artifact, 'ollama');
      const to = join(await tempDir(), 'ollama');
      const r = await writePlan(plan, to);
      expect(r.modelName).toBe('registry.ollama.ai/library/tinyllama:1b');
      expect(r.written).toBe(6);
      const tree = await listTree(to);
      const expected = ['.airbundle-materialized.json', '.done', ...Object.keys(m.blobs).map((d) => `blobs/sha256-${d.slice(7)}`), 'manifests/registry.ollama.ai/library/tinyllama/1b'].sort();
      expect([...tree.keys()].sort()).toEqual(expected);
      expect(tree.get('manifests/registry.ollama.ai/library/tinyllama/1b')!.equals(m.manifestBytes)).toBe(true);
      for (const [digest, bytes] of Object.entries(m.blobs)) expect(tree.get(`blobs/sha256-${digest.slice(7)}`)!.equals(bytes)).toBe(true);
      expect((await writePlan(plan, to)).written).toBe(0);
    });

    it('is a USAGE error for an artifact that did not come from Ollama, and plain/hf-cache refuse an Ollama model', async () => {
      await expectCode(materializeModel(fx.bundle, { model: 'tiny', layout: 'ollama', to: await tempDir() }), 'USAGE');
      const m = ollamaInMemory();
      await expectCode(planMaterialization(m.storage, m.artifact, 'plain'), 'USAGE');
      await expectCode(planMaterialization(m.storage, m.artifact, 'hf-cache'), 'USAGE');
    });

    it('refuses an Ollama name part that is not one path segment', async () => {
      const m = ollamaInMemory({ host: 'registry.ollama.ai', namespace: '..', model: 'x', tag: 'latest' });
      await expectCode(planMaterialization(m.storage, m.artifact, 'ollama'), 'PATH_ESCAPE');
    });
  });

  describe('choosing the model', () => {
    it('names the models when the name is unknown, and refuses a layout it does not know', async () => {
      const err = await expectCode(materializeModel(fx.bundle, { model: 'nope', layout: 'plain', to: await tempDir() }), 'USAGE');
      expect(err.hint).toContain('tiny');
      await expectCode(materializeModel(fx.bundle, { model: 'tiny', layout: 'zip' as 'plain', to: await tempDir() }), 'USAGE');
    });
  });

  describe('unsafe paths', () => {
    for (const bad of ['../evil', '/etc/passwd', 'a/../../b', 'dir/..', 'C:/x', 'a\\..\\b', 'new\nline']) {
      it(`refuses ${JSON.stringify(bad)} with PATH_ESCAPE naming it, and writes nothing`, async () => {
        const m = rawModelPack(['ok.txt', bad]);
        const err = await expectCode(planMaterialization(m.storage, m.artifact, 'plain'), 'PATH_ESCAPE');
        expect(err.message).toContain(JSON.stringify(bad));
      });
    }

    it('refuses to write through a symlinked directory that leads out of the target', async () => {
      const dir = await tempDir();
      const to = join(dir, 'to');
      await mkdir(join(dir, 'outside'));
      await mkdir(to);
      await symlink(join(dir, 'outside'), join(to, 'sub'));
      const m = rawModelPack(['sub/file.txt']);
      const plan = await planMaterialization(m.storage, m.artifact, 'plain');
      const err = await expectCode(writePlan(plan, to), 'PATH_ESCAPE');
      expect(err.message).toContain('sub/file.txt');
      expect(await readdir(join(dir, 'outside'))).toEqual([]);
    });

    it('refuses two files at one path with different content, and a file taking a marker name', async () => {
      const same = rawModelPack(['a', 'a']);
      await expectCode(planMaterialization(same.storage, same.artifact, 'plain'), 'PATH_CONFLICT');
      const twice = rawModelPack(['a', 'a/b']);
      await expectCode(planMaterialization(twice.storage, twice.artifact, 'plain'), 'PATH_CONFLICT');
      const marker = rawModelPack(['.done']);
      await expectCode(planMaterialization(marker.storage, marker.artifact, 'plain'), 'PATH_CONFLICT');
    });
  });
});
