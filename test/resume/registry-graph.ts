/**
 * What a registry holds, read over the distribution API the way any client would: a manifest and everything under
 * it (children before parents means a manifest may only exist once all of it does), and the repositories and tags
 * of a namespace. Used after a kill (nothing may point at a missing blob) and after the rerun (every byte right).
 * Reference: https://github.com/opencontainers/distribution-spec/blob/v1.1.1/spec.md#pulling-manifests
 */
import { successorsOf } from '../../src/content/graph.js';
import { sha256Hex } from './file-hash.js';

const ACCEPT = [
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
].join(', ');

const MANIFEST_TYPES = new Set(ACCEPT.split(', '));

/** isManifestType tells a manifest or index media type from a blob's. */
export function isManifestType(mediaType: string): boolean {
  return MANIFEST_TYPES.has(mediaType);
}

/** Manifest is a manifest fetched from a registry. */
export interface FetchedManifest {
  digest: string;
  mediaType: string;
  bytes: Buffer;
}

/** fetchManifest GETs a manifest by tag or digest; undefined when the registry does not have it. */
export async function fetchManifest(host: string, repo: string, ref: string): Promise<FetchedManifest | undefined> {
  const res = await fetch(`http://${host}/v2/${repo}/manifests/${ref}`, { headers: { accept: ACCEPT } });
  if (res.status === 404) {
    await res.body?.cancel();
    return undefined;
  }
  if (res.status !== 200) throw new Error(`GET ${repo}/manifests/${ref}: HTTP ${res.status}`);
  const bytes = Buffer.from(await res.arrayBuffer());
  return { digest: `sha256:${sha256Hex(bytes)}`, mediaType: res.headers.get('content-type') ?? '', bytes };
}

/**
 * graphProblems walks the manifest `ref` in `repo` and lists what is wrong below it: a child manifest or blob
 * missing, of the wrong size, or (with `bytes`) whose content does not hash to its digest. Empty: complete.
 */
export async function graphProblems(host: string, repo: string, ref: string, options: { bytes: boolean }): Promise<string[]> {
  const problems: string[] = [];
  const root = await fetchManifest(host, repo, ref);
  if (root === undefined) return [`${repo}:${ref} is missing`];
  if (ref.startsWith('sha256:') && root.digest !== ref) problems.push(`${repo}@${ref} came back as ${root.digest}`);
  const visit = async (m: FetchedManifest): Promise<void> => {
    for (const child of successorsOf(m.mediaType, JSON.parse(m.bytes.toString('utf8')) as unknown)) {
      if (isManifestType(child.mediaType)) {
        const sub = await fetchManifest(host, repo, child.digest);
        if (sub === undefined) problems.push(`${repo}: manifest ${child.digest} under ${m.digest} is missing`);
        else if (sub.digest !== child.digest) problems.push(`${repo}: manifest ${child.digest} came back as ${sub.digest}`);
        else await visit(sub);
        continue;
      }
      problems.push(...(await blobProblems(host, repo, child.digest, child.size, options.bytes)));
    }
  };
  await visit(root);
  return problems;
}

/** blobProblems checks one blob: present with its size, and with `bytes` its content hashes to its digest. */
async function blobProblems(host: string, repo: string, digest: string, size: number, bytes: boolean): Promise<string[]> {
  const url = `http://${host}/v2/${repo}/blobs/${digest}`;
  const res = await fetch(url, { method: bytes ? 'GET' : 'HEAD' });
  if (res.status !== 200) {
    await res.body?.cancel();
    return [`${repo}: blob ${digest} answers HTTP ${res.status}`];
  }
  if (!bytes) {
    const length = Number(res.headers.get('content-length'));
    return length === size ? [] : [`${repo}: blob ${digest} has ${length} bytes, ${size} expected`];
  }
  const body = Buffer.from(await res.arrayBuffer());
  if (body.length !== size) return [`${repo}: blob ${digest} has ${body.length} bytes, ${size} expected`];
  return `sha256:${sha256Hex(body)}` === digest ? [] : [`${repo}: blob ${digest} holds other bytes (sha256:${sha256Hex(body)})`];
}

/** repositoriesUnder lists the repositories of the registry whose name starts with `prefix/`. */
export async function repositoriesUnder(host: string, prefix: string): Promise<string[]> {
  const res = await fetch(`http://${host}/v2/_catalog?n=10000`);
  const body = (await res.json()) as { repositories?: string[] | null };
  return (body.repositories ?? []).filter((r) => r.startsWith(`${prefix}/`));
}

/** tagsOf lists the tags of a repository (none when it has no tags yet). */
export async function tagsOf(host: string, repo: string): Promise<string[]> {
  const res = await fetch(`http://${host}/v2/${repo}/tags/list`);
  if (res.status !== 200) {
    await res.body?.cancel();
    return [];
  }
  return ((await res.json()) as { tags?: string[] | null }).tags ?? [];
}

/**
 * danglingAfterKill checks DESIGN §2.4's "never leaves a registry manifest pointing at a missing blob" for a
 * namespace: every tag, and every manifest of `manifests` (digests) that a repository has, must be complete.
 */
export async function danglingAfterKill(host: string, prefix: string, manifests: string[]): Promise<string[]> {
  const problems: string[] = [];
  for (const repo of await repositoriesUnder(host, prefix)) {
    for (const tag of await tagsOf(host, repo)) problems.push(...(await graphProblems(host, repo, tag, { bytes: false })));
    for (const digest of manifests) {
      const head = await fetch(`http://${host}/v2/${repo}/manifests/${digest}`, { method: 'HEAD', headers: { accept: ACCEPT } });
      if (head.status === 200) problems.push(...(await graphProblems(host, repo, digest, { bytes: false })));
    }
  }
  return problems;
}
