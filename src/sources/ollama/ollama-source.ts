import { AirbundleError } from '../../errors.js';
import { resolveRegistryArtifact } from '../registry/registry-source.js';
import type { ResolvedArtifact, SourceContext } from '../source.js';

/** The registry `ollama pull` talks to when a name has no host. */
export const OLLAMA_DEFAULT_HOST = 'registry.ollama.ai';

/** OllamaName is `[host/]namespace/model[:tag]` taken apart, with Ollama's defaults filled in. */
export interface OllamaName {
  host: string;
  namespace: string;
  model: string;
  tag: string;
}

/** parseOllamaName reads `ollama://[host/][namespace/]model[:tag]` the way `ollama pull` does. */
export function parseOllamaName(source: string): OllamaName {
  const rest = source.replace(/^ollama:\/\//, '');
  const parts = rest.split('/');
  if (parts.length > 3 || parts.some((p) => p === '')) {
    throw new AirbundleError('SOURCE_INVALID', `${source} is not an Ollama model name`, { hint: 'write ollama://[host/]namespace/model[:tag], e.g. ollama://library/llama3.2:1b' });
  }
  const last = parts.pop()!;
  const colon = last.indexOf(':');
  const model = colon >= 0 ? last.slice(0, colon) : last;
  const tag = colon >= 0 ? last.slice(colon + 1) : 'latest';
  const namespace = parts.pop() ?? 'library';
  const host = parts.pop() ?? OLLAMA_DEFAULT_HOST;
  if (!/^[a-z0-9][a-z0-9._-]*$/i.test(model) || !/^[\w][\w.-]{0,127}$/.test(tag)) {
    throw new AirbundleError('SOURCE_INVALID', `${source}: "${model}:${tag}" is not a valid Ollama model and tag`);
  }
  return { host, namespace, model, tag };
}

/**
 * resolveOllamaModel pulls an Ollama model over the registry protocol (Ollama's registry speaks OCI
 * distribution, anonymously): its manifest (Docker v2 schema 2 with `application/vnd.ollama.image.*` layers)
 * and blobs are kept byte for byte, so they can be laid out as an Ollama store or pushed to a registry Ollama
 * can pull from. The Ollama name is recorded in the provenance for the `ollama` materialised layout.
 */
export async function resolveOllamaModel(entry: { name: string; source: string; tag?: string }, ctx: SourceContext, defaultTag: string): Promise<ResolvedArtifact> {
  const n = parseOllamaName(entry.source);
  const resolved = await resolveRegistryArtifact({ source: `${n.host}/${n.namespace}/${n.model}:${n.tag}`, name: entry.name }, ctx, 'model', entry.tag ?? defaultTag);
  return {
    ...resolved,
    source: entry.source,
    provenance: {
      ...resolved.provenance,
      type: 'ollama',
      uri: `${n.host}/${n.namespace}/${n.model}:${n.tag}`,
      details: { host: n.host, namespace: n.namespace, model: n.model, tag: n.tag },
    },
  };
}
