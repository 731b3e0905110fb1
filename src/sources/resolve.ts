import { AirbundleError } from '../errors.js';
import type { ImageEntry as ImageSpecEntry, ModelEntry } from '../schema/generated/bundle-spec.js';
import { resolveHfModel } from './hf/hf-source.js';
import { resolveHttpModel } from './http/http-source.js';
import { resolveFileModel } from './local/file-source.js';
import { resolveOciLayoutImage } from './oci-layout/oci-layout-source.js';
import { resolveOllamaModel } from './ollama/ollama-source.js';
import { resolveRegistryArtifact } from './registry/registry-source.js';
import type { ResolvedArtifact, SourceContext } from './source.js';

export type { ImageEntry as ImageSpecEntry, ModelEntry } from '../schema/generated/bundle-spec.js';

/** schemeOf returns the scheme of a source string (`file`, `https`, `oci-layout`, …) or '' for a bare reference. */
export function schemeOf(source: string): string {
  const m = /^([a-z][a-z0-9+.-]*):/.exec(source);
  return m?.[1] ?? '';
}

/** resolveModel dispatches a model entry to its source by scheme. */
export async function resolveModel(entry: ModelEntry, ctx: SourceContext, defaultTag: string): Promise<ResolvedArtifact> {
  switch (schemeOf(entry.source)) {
    case 'file':
      return resolveFileModel(entry, ctx, defaultTag);
    case 'http':
    case 'https':
      return resolveHttpModel(entry, ctx, defaultTag);
    case 'hf':
      return resolveHfModel(entry, ctx, defaultTag);
    case 'oci':
      return resolveRegistryArtifact({ source: entry.source, name: entry.name }, ctx, 'model', entry.tag ?? defaultTag);
    case 'ollama':
      return resolveOllamaModel(entry, ctx, defaultTag);
    default:
      throw new AirbundleError('SOURCE_UNSUPPORTED', `model "${entry.name}": source ${entry.source} is not supported yet`, {
        hint: 'supported model sources: hf://ORG/NAME[@REVISION], file://PATH, https://URL#sha256=HEX, http://URL#sha256=HEX, oci://HOST/REPO:TAG, ollama://[HOST/]NAMESPACE/MODEL[:TAG]',
      });
  }
}

/** resolveImage dispatches an image entry to its source by scheme. */
export async function resolveImage(entry: ImageSpecEntry, ctx: SourceContext): Promise<ResolvedArtifact> {
  switch (schemeOf(entry.source)) {
    case 'oci-layout':
      return resolveOciLayoutImage(entry, ctx);
    default:
      // oci://host/repo:tag, or a plain image reference (docker.io/library/alpine:3.20, localhost:5000/x:1).
      return resolveRegistryArtifact(entry, ctx, 'image');
  }
}
