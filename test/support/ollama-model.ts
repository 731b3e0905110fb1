import { randomBytes } from 'node:crypto';
import { descriptorFor, type Descriptor } from '../../src/content/descriptor.js';
import { Registry } from '../../src/oci/registry.js';
import { chunked } from './oci-image.js';

export const MT_DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';
export const MT_DOCKER_CONFIG = 'application/vnd.docker.container.image.v1+json';

/** OllamaModel is a model in Ollama's registry format: a Docker v2 manifest over application/vnd.ollama.image.* layers. */
export interface OllamaModel {
  manifest: Descriptor;
  manifestBytes: Buffer;
  blobs: Map<string, Buffer>;
}

/** makeOllamaModel builds a small model the way `ollama push` lays one out (weights, template, params, license). */
export function makeOllamaModel(weightsSize = 2 * 1024 * 1024 + 17): OllamaModel {
  const blobs = new Map<string, Buffer>();
  const add = (mediaType: string, bytes: Buffer): Descriptor => {
    const d = descriptorFor(mediaType, bytes);
    blobs.set(d.digest, bytes);
    return d;
  };
  const layers = [
    add('application/vnd.ollama.image.model', randomBytes(weightsSize)),
    add('application/vnd.ollama.image.template', Buffer.from('{{ .System }}\n{{ .Prompt }}')),
    add('application/vnd.ollama.image.params', Buffer.from('{"stop":["<|eot_id|>"]}')),
    add('application/vnd.ollama.image.license', Buffer.from('Test license\n')),
  ];
  const config = add(MT_DOCKER_CONFIG, Buffer.from(JSON.stringify({ model_format: 'gguf', model_family: 'llama', model_type: '1B', file_type: 'Q4_K_M', architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: layers.map((l) => l.digest) } })));
  const manifestBytes = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MT_DOCKER_MANIFEST, config, layers }));
  return { manifest: descriptorFor(MT_DOCKER_MANIFEST, manifestBytes), manifestBytes, blobs };
}

/** pushOllamaModel puts the model into a (plain-HTTP) registry as `repository:tag`, as Ollama's registry holds it. */
export async function pushOllamaModel(host: string, repository: string, tag: string, model: OllamaModel): Promise<void> {
  const registry = new Registry(host, { plainHttp: true, credentials: false });
  const repo = registry.repository(repository);
  for (const [digest, bytes] of model.blobs) {
    await repo.push({ mediaType: 'application/octet-stream', digest: digest as Descriptor['digest'], size: bytes.length }, async (o) => chunked(bytes.subarray(o)));
  }
  await repo.pushManifest(model.manifest, model.manifestBytes, tag);
  registry.close();
}
