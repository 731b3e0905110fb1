/**
 * Zarf's image naming in the airgap registry, which an existing zarf-agent relies on:
 * `<registry>/<path>:<tag>-zarf-<crc32>` where crc32 is `crc32.ChecksumIEEE` of the normalized name without tag
 * (`docker.io/library/nginx` for `nginx:1.23`), plus a plain `<registry>/<path>:<tag>` copy for non-Zarf
 * workloads; digest-pinned refs become `<registry>/<path>@<digest>` (no checksum). Names are normalized as Docker's
 * distribution/reference does (`ParseNormalizedNamed`): no domain means `docker.io`, one path component on
 * docker.io means `library/…`, no tag or digest means `:latest`.
 * Reference: zarf-dev/zarf src/pkg/transform/image.go (v0.84.0); github.com/distribution/reference normalize.go.
 */
import { crc32 } from 'node:zlib';
import { AirbundleError } from '../../src/errors.js';

/** ZarfImageRef is a normalized image reference, split as Zarf's `transform.Image`. */
export interface ZarfImageRef {
  /** Registry host: `docker.io`, `ghcr.io`, `host:5000`. */
  host: string;
  /** Repository path without the host: `library/nginx`. */
  path: string;
  /** `host/path`: what the crc32 is computed over. */
  name: string;
  /** Tag (`latest` when neither tag nor digest was given). */
  tag?: string;
  digest?: string;
  /** The normalized reference: `docker.io/library/nginx:1.23`, `…@sha256:…`, or both. */
  reference: string;
}

const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]{32,}$/;
const DOMAIN = /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*|\[[0-9a-fA-F:.]+\])(?::\d+)?$/;

/** parseZarfImageRef normalizes an image reference (an `oci://` prefix is dropped, as Zarf does). */
export function parseZarfImageRef(input: string): ZarfImageRef {
  const bad = (why: string): AirbundleError =>
    new AirbundleError('REFERENCE_INVALID', `"${input}" is not a valid image reference: ${why}`, { hint: 'an image is [HOST[:PORT]/]PATH[:TAG][@sha256:HEX]' });
  let rest = input.trim().replace(/^oci:\/\//, '');
  if (/^[a-f0-9]{64}$/.test(rest)) throw bad('a bare digest names no image');
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) throw bad(`"${digest}" is not a digest`);
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) throw bad(`"${tag}" is not a valid tag`);
  }
  let host = 'docker.io';
  let path = rest;
  const slash = rest.indexOf('/');
  const first = slash < 0 ? '' : rest.slice(0, slash);
  if (slash >= 0 && (/[.:]/.test(first) || first === 'localhost' || first.toLowerCase() !== first)) {
    host = first;
    path = rest.slice(slash + 1);
    if (!DOMAIN.test(host)) throw bad(`"${host}" is not a registry host`);
  }
  if (host === 'index.docker.io') host = 'docker.io';
  if (host === 'docker.io' && !path.includes('/')) path = `library/${path}`;
  if (path === '' || !path.split('/').every((c) => COMPONENT.test(c))) throw bad(`"${path}" is not a repository path (lower case letters, digits and . _ - separated by /)`);
  if (tag === undefined && digest === undefined) tag = 'latest';
  const name = `${host}/${path}`;
  const reference = `${name}${tag !== undefined ? `:${tag}` : ''}${digest !== undefined ? `@${digest}` : ''}`;
  return { host, path, name, ...(tag !== undefined ? { tag } : {}), ...(digest !== undefined ? { digest } : {}), reference };
}

/** zarfChecksum is the crc32 (IEEE) Zarf appends to tags: of the normalized name without tag. */
export function zarfChecksum(name: string): number {
  return crc32(name) >>> 0;
}

/** ZarfTarget is where Zarf puts an image in a registry: a repository and the references it pushes. */
export interface ZarfTarget {
  /** Repository path on the target registry (prefix included): `library/nginx`. */
  repository: string;
  /** `<tag>-zarf-<crc32>` for tagged refs (what zarf-agent rewrites pods to); undefined for digest refs. */
  checksumTag?: string;
  /** The plain tag for non-Zarf workloads; undefined for digest refs. */
  plainTag?: string;
  /** `HOST/PREFIX/path:tag-zarf-crc` (or `@digest`): the reference zarf-agent would give a pod. */
  checksummed: string;
  /** `HOST/PREFIX/path:tag` (or `@digest`). */
  plain: string;
}

/**
 * zarfTargetFor gives Zarf's airgap names of `image` in `registry` (`HOST[:PORT][/PREFIX]`):
 * `ImageTransformHost` and `ImageTransformHostWithoutChecksum`.
 */
export function zarfTargetFor(image: string | ZarfImageRef, registry: string): ZarfTarget {
  const ref = typeof image === 'string' ? parseZarfImageRef(image) : image;
  const reg = registry.replace(/\/+$/, '');
  const slash = reg.indexOf('/');
  const prefix = slash < 0 ? '' : reg.slice(slash + 1);
  const repository = prefix === '' ? ref.path : `${prefix}/${ref.path}`;
  if (ref.digest !== undefined) {
    const pinned = `${reg}/${ref.path}@${ref.digest}`;
    return { repository, checksummed: pinned, plain: pinned };
  }
  const checksumTag = `${ref.tag!}-zarf-${zarfChecksum(ref.name)}`;
  return { repository, checksumTag, plainTag: ref.tag!, checksummed: `${reg}/${ref.path}:${checksumTag}`, plain: `${reg}/${ref.path}:${ref.tag!}` };
}
