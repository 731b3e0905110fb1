/**
 * Image references, parsed and normalised as Docker does: `alpine` is `docker.io/library/alpine:latest`, the first
 * path component is a registry host only when it looks like one (has a `.` or a `:`, or is `localhost`), a tag
 * follows the last `:` after the last `/`, a digest follows `@`. An `oci://` prefix is accepted and dropped.
 * Reference: https://github.com/distribution/reference/blob/v0.6.0/normalize.go and regexp.go
 */
import { isDigest, type Digest } from '../content/digest.js';
import { AirbundleError } from '../errors.js';
import { hasUserinfo, withoutUserinfo } from '../util/redact.js';

/** Reference names one repository on one registry, and optionally a tag and/or a digest in it. */
export interface Reference {
  /** Registry host as the user names it, `host[:port]`; Docker Hub is `docker.io`. */
  registry: string;
  /** Repository path, e.g. `library/alpine`. */
  repository: string;
  tag?: string;
  digest?: Digest;
}

/** ParseReferenceOptions for {@link parseReference}. */
export interface ParseReferenceOptions {
  /** Tag to use when the reference names neither a tag nor a digest. Default `latest`; `null` for none. */
  defaultTag?: string | null;
}

/** DOCKER_HUB is the name of Docker Hub in references; its API lives at {@link DOCKER_HUB_API_HOST}. */
export const DOCKER_HUB = 'docker.io';
/** DOCKER_HUB_API_HOST is where Docker Hub's distribution API answers. */
export const DOCKER_HUB_API_HOST = 'registry-1.docker.io';

const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const DOMAIN_RE = new RegExp(`^(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[[a-fA-F0-9:]+\\])(?::[0-9]+)?$`);
const PATH_COMPONENT_RE = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG_RE = /^[\w][\w.-]{0,127}$/;
const MAX_NAME_LENGTH = 255;

/** parseReference parses an image reference, or throws REFERENCE_INVALID saying what is wrong with it. */
export function parseReference(input: string, options: ParseReferenceOptions = {}): Reference {
  let rest = input.trim();
  if (rest.startsWith('oci://')) rest = rest.slice('oci://'.length);
  if (rest === '') throw invalid(input, 'it is empty');
  if (hasUserinfo(rest)) {
    throw new AirbundleError('REFERENCE_INVALID', `invalid image reference "${withoutUserinfo(input)}": it carries credentials (user:password@)`, {
      hint: 'remove them from the reference; pass --username with --password-stdin, or run docker login',
    });
  }

  let digest: Digest | undefined;
  const at = rest.lastIndexOf('@');
  if (at !== -1) {
    const d = rest.slice(at + 1);
    if (!isDigest(d)) throw invalid(input, `"${d}" is not a sha256 digest ("sha256:" and 64 lowercase hex characters)`);
    digest = d;
    rest = rest.slice(0, at);
  }

  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG_RE.test(tag)) throw invalid(input, `"${tag}" is not a valid tag (letters, digits, "_", "." and "-", at most 128, not starting with "." or "-")`);
  }

  let registry = DOCKER_HUB;
  let repository = rest;
  const slash = rest.indexOf('/');
  if (slash !== -1 && looksLikeRegistry(rest.slice(0, slash))) {
    registry = rest.slice(0, slash);
    repository = rest.slice(slash + 1);
  }
  if (registry === 'index.docker.io' || registry === DOCKER_HUB_API_HOST) registry = DOCKER_HUB;
  if (!DOMAIN_RE.test(registry)) throw invalid(input, `"${registry}" is not a valid registry host`);
  if (registry === DOCKER_HUB && !repository.includes('/')) repository = `library/${repository}`;
  const problem = repositoryProblem(repository);
  if (problem !== undefined) throw invalid(input, problem);

  const ref: Reference = { registry, repository };
  if (tag !== undefined) ref.tag = tag;
  if (digest !== undefined) ref.digest = digest;
  const defaultTag = options.defaultTag === undefined ? 'latest' : options.defaultTag;
  if (tag === undefined && digest === undefined && defaultTag !== null) ref.tag = defaultTag;
  return ref;
}

/** formatReference writes a reference back as `registry/repository[:tag][@digest]`. */
export function formatReference(ref: Reference): string {
  return `${ref.registry}/${ref.repository}${ref.tag === undefined ? '' : `:${ref.tag}`}${ref.digest === undefined ? '' : `@${ref.digest}`}`;
}

/** apiHost is the host that serves the distribution API for a registry name (Docker Hub's differs). */
export function apiHost(registry: string): string {
  return registry === DOCKER_HUB ? DOCKER_HUB_API_HOST : registry;
}

/** assertRepositoryName throws REFERENCE_INVALID unless `name` is a valid repository path. */
export function assertRepositoryName(name: string): void {
  const problem = repositoryProblem(name);
  if (problem !== undefined) throw invalid(name, problem);
}

/** isRegistryHost tells whether `value` is a valid registry host, `host[:port]` (IPv6 in brackets). */
export function isRegistryHost(value: string): boolean {
  return DOMAIN_RE.test(value);
}

/** isTag tells whether `value` is a valid tag. */
export function isTag(value: string): boolean {
  return TAG_RE.test(value);
}

/** looksLikeRegistry follows Docker: a host has a "." or ":", or is "localhost", or has uppercase letters. */
function looksLikeRegistry(component: string): boolean {
  return component.includes('.') || component.includes(':') || component === 'localhost' || component.toLowerCase() !== component;
}

function repositoryProblem(repository: string): string | undefined {
  if (repository === '') return 'the repository name is empty';
  if (repository.length > MAX_NAME_LENGTH) return `the repository name is longer than ${MAX_NAME_LENGTH} characters`;
  if (repository !== repository.toLowerCase()) return `repository name "${repository}" must be lowercase`;
  for (const component of repository.split('/')) {
    if (!PATH_COMPONENT_RE.test(component)) {
      return `"${component}" in "${repository}" is not a valid path component (lowercase letters and digits, separated by ".", "_", "__" or "-")`;
    }
  }
  return undefined;
}

function invalid(input: string, why: string): AirbundleError {
  return new AirbundleError('REFERENCE_INVALID', `invalid image reference "${input}": ${why}`, {
    hint: 'an image reference looks like [registry[:port]/]repository[:tag][@sha256:<hex>], e.g. registry.local:5000/team/model:v1',
  });
}
