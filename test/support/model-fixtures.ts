import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { build } from '../../src/build.js';
import type { Artifact } from '../../src/bundle/manifest.js';
import { MT_DOCKER_MANIFEST } from '../../src/bundle/layout.js';
import type { Descriptor } from '../../src/content/descriptor.js';
import { sha256Digest } from '../../src/content/digest.js';
import { MemoryStore } from '../../src/content/memory-store.js';
import { packModelPack } from '../../src/sources/modelpack.js';

/** ModelBundle is a built bundle holding one model made of `files`. */
export interface ModelBundle {
  bundle: string;
  files: Record<string, Buffer>;
}

/**
 * buildModelBundle writes a model directory with a few files (one of them ~3 MiB, one nested) and builds a
 * bundle from it with the library's build (no dist/ needed), in the form `out` asks for.
 */
export async function buildModelBundle(dir: string, out = 'b.tar.zst', extraFiles: Record<string, Buffer> = {}): Promise<ModelBundle> {
  const files: Record<string, Buffer> = {
    'config.json': Buffer.from('{"model_type":"tiny","hidden_size":8}\n'),
    'model.safetensors': randomBytes(3 * 1024 * 1024 + 4321),
    'tokenizer.json': Buffer.from('{"version":"1.0","model":{"type":"BPE"}}\n'),
    'extra/vocab.txt': Buffer.from('a\nb\nc\n'),
    ...extraFiles,
  };
  for (const [path, bytes] of Object.entries(files)) {
    await mkdir(dirname(join(dir, 'model', path)), { recursive: true });
    await writeFile(join(dir, 'model', path), bytes);
  }
  const spec = join(dir, 'bundle.yaml');
  await writeFile(
    spec,
    `apiVersion: airbundle.dev/v1
kind: Bundle
metadata: {name: mat, version: 0.2.0}
options: {chunkSize: 1M}
models:
  - name: tiny
    source: file://./model
`,
  );
  const bundle = join(dir, out);
  await build({ specPath: spec, out: bundle, cacheDir: join(dir, 'cache'), env: { SOURCE_DATE_EPOCH: '946684800' } });
  return { bundle, files };
}

/** StoredModel is a model artifact held in memory, for planning without a bundle. */
export interface StoredModel {
  storage: MemoryStore;
  artifact: Artifact;
}

/** modelPackInMemory packs files as a ModelPack artifact in a MemoryStore, with the provenance given. */
export function modelPackInMemory(files: Record<string, Buffer>, provenance: Artifact['provenance'], name = 'tiny'): StoredModel {
  const storage = new MemoryStore();
  const list = Object.entries(files).map(([path, bytes]) => {
    const desc = storage.add('application/octet-stream', bytes);
    return { path, digest: desc.digest, size: desc.size };
  });
  const root = packModelPack({ name, files: list }, storage);
  return { storage, artifact: { kind: 'model', name, ref: `models/${name}:1`, source: 'test', root, provenance } };
}

/**
 * rawModelPack stores a manifest whose layers carry exactly the file paths given, even unsafe ones (packModelPack
 * would not be given such paths by a real source), to test what the layouts refuse.
 */
export function rawModelPack(paths: string[]): StoredModel {
  const storage = new MemoryStore();
  const layers: Descriptor[] = paths.map((p, i) => ({ ...storage.add('application/vnd.cncf.model.weight.v1.raw', `file ${i}\n`), annotations: { 'org.cncf.model.filepath': p } }));
  const config = storage.add('application/vnd.cncf.model.config.v1+json', '{}');
  const root = storage.add('application/vnd.oci.image.manifest.v1+json', JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config, layers }));
  return { storage, artifact: { kind: 'model', name: 'evil', ref: 'models/evil:1', source: 'test', root, provenance: { type: 'file', uri: '/x' } } };
}

/** OllamaModel is an Ollama-style model (Docker v2 schema 2 manifest, ollama layer types) in memory. */
export interface OllamaModel extends StoredModel {
  manifestBytes: Buffer;
  blobs: Record<string, Buffer>;
}

/** ollamaInMemory builds a tiny Ollama model: config, GGUF weights, template, params, license. */
export function ollamaInMemory(details = { host: 'registry.ollama.ai', namespace: 'library', model: 'tinyllama', tag: '1b' }): OllamaModel {
  const storage = new MemoryStore();
  const blobs: Record<string, Buffer> = {};
  const add = (mediaType: string, bytes: Buffer): Descriptor => {
    const d = storage.add(mediaType, bytes);
    blobs[d.digest] = bytes;
    return { mediaType, digest: d.digest, size: d.size };
  };
  const config = add('application/vnd.docker.container.image.v1+json', Buffer.from('{"model_format":"gguf","model_family":"llama","file_type":"Q4_0"}'));
  const layers = [
    add('application/vnd.ollama.image.model', Buffer.concat([Buffer.from('GGUF'), randomBytes(200_000)])),
    add('application/vnd.ollama.image.template', Buffer.from('{{ .Prompt }}')),
    add('application/vnd.ollama.image.params', Buffer.from('{"stop":["</s>"]}')),
    add('application/vnd.ollama.image.license', Buffer.from('MIT License\n')),
  ];
  // Ollama serves its manifests with this exact spacing; the bytes must survive unchanged.
  const manifestBytes = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MT_DOCKER_MANIFEST, config, layers }, null, 3));
  const root = storage.add(MT_DOCKER_MANIFEST, manifestBytes);
  return {
    storage,
    manifestBytes,
    blobs,
    artifact: {
      kind: 'model',
      name: details.model,
      ref: `ollama/${details.model}:${details.tag}`,
      source: `ollama://${details.namespace}/${details.model}:${details.tag}`,
      root,
      provenance: { type: 'ollama', uri: `${details.host}/${details.namespace}/${details.model}:${details.tag}`, revision: root.digest, details },
    },
  };
}

/** digestOf is the sha256 digest of bytes, for assertions. */
export function digestOf(bytes: Buffer): string {
  return sha256Digest(bytes);
}
