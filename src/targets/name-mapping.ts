import { AirbundleError } from '../errors.js';

/** RepoTag is where an artifact goes in a registry: a repository path and a tag. */
export interface RepoTag {
  repository: string;
  tag: string;
}

/**
 * targetFor maps a bundle ref to a repository and tag under an optional prefix, dropping the source registry:
 * `docker.io/library/alpine:3.20` → `PREFIX/library/alpine:3.20`, `models/tiny-llm:0.1.0` →
 * `PREFIX/models/tiny-llm:0.1.0`. Digests never change; only names do.
 */
export function targetFor(ref: string, prefix = ''): RepoTag {
  const at = ref.indexOf('@');
  const named = at >= 0 ? ref.slice(0, at) : ref;
  const slash = named.lastIndexOf('/');
  const colon = named.lastIndexOf(':');
  const hasTag = colon > slash;
  let repository = hasTag ? named.slice(0, colon) : named;
  const tag = hasTag ? named.slice(colon + 1) : 'latest';
  const parts = repository.split('/');
  if (parts.length > 1 && isRegistryHost(parts[0]!)) repository = parts.slice(1).join('/');
  const cleanPrefix = prefix.replace(/^\/+|\/+$/g, '');
  if (cleanPrefix !== '') repository = `${cleanPrefix}/${repository}`;
  if (!/^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/.test(repository)) {
    throw new AirbundleError('USAGE', `"${ref}" does not map to a valid repository name ("${repository}")`, {
      hint: 'repository names are lower case letters, digits and . _ - separated by /',
    });
  }
  return { repository, tag };
}

/** isRegistryHost tells whether the first path component of a reference names a registry (has . or : or is localhost). */
export function isRegistryHost(component: string): boolean {
  return component.includes('.') || component.includes(':') || component === 'localhost';
}
