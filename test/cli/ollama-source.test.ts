import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BundleReader } from '../../src/bundle/reader.js';
import { parseOllamaName } from '../../src/sources/ollama/ollama-source.js';
import { readAll } from '../support/oci-image.js';
import { runCli } from '../support/cli.js';
import { makeOllamaModel, pushOllamaModel, type OllamaModel } from '../support/ollama-model.js';
import { startRegistry, type RunningRegistry } from '../support/registry.js';

let work: string;
let reg: RunningRegistry;
let model: OllamaModel;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'airbundle-ollama-'));
  reg = await startRegistry();
  model = makeOllamaModel();
  await pushOllamaModel(reg.host, 'library/tiny', '1b', model);
});

afterAll(async () => {
  await reg.stop();
  await rm(work, { recursive: true, force: true });
});

describe('ollama:// sources', () => {
  it('reads names the way ollama pull does', () => {
    expect(parseOllamaName('ollama://llama3.2')).toEqual({ host: 'registry.ollama.ai', namespace: 'library', model: 'llama3.2', tag: 'latest' });
    expect(parseOllamaName('ollama://me/m:q4')).toEqual({ host: 'registry.ollama.ai', namespace: 'me', model: 'm', tag: 'q4' });
    expect(parseOllamaName('ollama://h:5000/ns/m:1b')).toEqual({ host: 'h:5000', namespace: 'ns', model: 'm', tag: '1b' });
    expect(() => parseOllamaName('ollama://a/b/c/d')).toThrow(/not an Ollama model name/);
  });

  it('pulls an Ollama model from a registry, manifest and blobs byte for byte', async () => {
    const spec = join(work, 'bundle.yaml');
    await writeFile(spec, `apiVersion: airbundle.dev/v1\nkind: Bundle\nmetadata: {name: o, version: 1.0.0}\nmodels:\n  - name: tiny\n    source: ollama://${reg.host}/library/tiny:1b\n`);
    const out = join(work, 'o.tar.zst');
    const r = await runCli(['build', spec, '--out', out, '--cache', join(work, 'cache'), '--plain-http', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const reader = await BundleReader.open(out);
    try {
      const a = reader.manifest.artifacts[0]!;
      expect(a).toMatchObject({ kind: 'model', ref: 'models/tiny:1.0.0', root: { digest: model.manifest.digest, mediaType: model.manifest.mediaType } });
      expect(a.provenance).toMatchObject({ type: 'ollama', details: { host: reg.host, namespace: 'library', model: 'tiny', tag: '1b' } });
      expect((await readAll(await reader.fetch(model.manifest))).equals(model.manifestBytes)).toBe(true);
      for (const b of reader.manifest.blobs) {
        const bytes = b.digest === model.manifest.digest ? model.manifestBytes : model.blobs.get(b.digest);
        expect(bytes, `unexpected blob ${b.digest}`).toBeDefined();
        expect((await readAll(await reader.fetch({ mediaType: b.mediaType, digest: b.digest as never, size: b.size }))).equals(bytes!)).toBe(true);
      }
      expect(reader.manifest.blobs).toHaveLength(model.blobs.size + 1);
    } finally {
      await reader.close();
    }
    // Materialised as an Ollama store: the manifest and every blob byte for byte, where ollama looks for them.
    const store = join(work, 'ollama');
    const m = await runCli(['materialize', out, '--model', 'tiny', '--layout', 'ollama', '--to', store]);
    expect(m.code, m.stderr).toBe(0);
    expect((await readFile(join(store, 'manifests', reg.host, 'library', 'tiny', '1b'))).equals(model.manifestBytes)).toBe(true);
    for (const [digest, bytes] of model.blobs) expect((await readFile(join(store, 'blobs', digest.replace(':', '-')))).equals(bytes)).toBe(true);
  });
});
