/**
 * Repository is one `host/name` on a registry, as a content store (Storage) and a tag resolver: blobs and manifests
 * are told apart by media type, pushes skip what the registry already has, blobs can be mounted from another
 * repository, and referrers fall back to the tag schema where the referrers API is missing.
 * Reference: oras-go v2 registry/remote/repository.go; distribution-spec v1.1.1 spec.md.
 */
import { Readable } from 'node:stream';
import { MT_OCI_INDEX } from '../bundle/layout.js';
import type { Descriptor } from '../content/descriptor.js';
import { isDigest, sha256Digest, type Digest } from '../content/digest.js';
import { MAX_METADATA_BYTES } from '../content/fetch-bytes.js';
import type { FetchOptions, OpenBody, PushOptions, Storage, TagResolver } from '../content/storage.js';
import { AirbundleError, isAirbundleError } from '../errors.js';
import { repositoryScope } from './auth.js';
import { bodyStream } from './body-stream.js';
import { uploadBlob, type UploadOptions, type UploadOutcome } from './blob-upload.js';
import { responseError, type RegistryErrorEntry } from './errcode.js';
import type { HttpResponse } from './http-client.js';
import { nextLink } from './link-header.js';
import { isManifestMediaType, manifestAccept } from './media-types.js';
import { contentType, mediaTypeField, parseJson, readSmall } from './manifest-body.js';
import type { Mounter } from './mounter.js';
import { assertRepositoryName, isTag, parseReference } from './reference.js';
import {
  addReferrer,
  emptyReferrersIndex,
  filterByArtifactType,
  parseReferrersIndex,
  referrerDescriptor,
  referrersTag,
  subjectOf,
  type ReferrersIndex,
} from './referrers.js';
import type { Transport } from './transport.js';
import { zotExplanation } from './zot-hint.js';

/** BlobPushOptions extend the content PushOptions with a cross-repository mount. */
export interface BlobPushOptions extends PushOptions {
  /** Repository on the same registry to mount the blob from; a registry that cannot mount gets an upload. */
  mountFrom?: string;
}

/** RepositoryOptions for {@link Repository}. */
export interface RepositoryOptions {
  upload?: UploadOptions;
}

/** FetchedManifest is a manifest's descriptor and its exact bytes. */
export interface FetchedManifest {
  descriptor: Descriptor;
  bytes: Buffer;
}

/** Signal-only options of the read methods. */
export interface SignalOptions {
  signal?: AbortSignal;
}

/** Repository is one repository on a registry. Create it with `Registry.repository(name)`. */
export class Repository implements Storage, TagResolver, Mounter {
  /** Registry as named in references. */
  readonly registry: string;
  /** Repository path, e.g. `team/model`. */
  readonly name: string;
  readonly #t: Transport;
  readonly #options: RepositoryOptions;
  #referrersApi: boolean | undefined;

  constructor(transport: Transport, name: string, options: RepositoryOptions = {}) {
    assertRepositoryName(name);
    this.#t = transport;
    this.registry = transport.registry;
    this.name = name;
    this.#options = options;
  }

  /** exists asks the registry (HEAD) whether it has the blob or manifest. */
  async exists(desc: Descriptor, options: SignalOptions = {}): Promise<boolean> {
    return this.#exists(desc, options.signal, false);
  }

  /** #exists HEADs content; a push asks with the push scope so that one token serves the whole push. */
  async #exists(desc: Descriptor, signal: AbortSignal | undefined, push: boolean): Promise<boolean> {
    const manifest = isManifestMediaType(desc.mediaType);
    const res = await this.#send('HEAD', `${manifest ? 'manifests' : 'blobs'}/${desc.digest}`, {
      what: `checking for ${desc.digest} in ${this.#where()}`,
      headers: manifest ? { accept: manifestAccept(desc.mediaType) } : {},
      push,
      signal,
    });
    res.discard();
    if (res.status === 200) return true;
    if (res.status === 404) return false;
    throw await this.#error(res, `checking for ${desc.digest} in ${this.#where()}`);
  }

  /** fetch streams a blob (Range GET from `offset`) or a manifest; exactly `desc.size - offset` bytes. */
  async fetch(desc: Descriptor, options: FetchOptions = {}): Promise<Readable> {
    const offset = options.offset ?? 0;
    if (isManifestMediaType(desc.mediaType)) {
      const { bytes } = await this.fetchManifest(desc, options);
      return Readable.from([bytes.subarray(offset)]);
    }
    const what = `fetching blob ${desc.digest} from ${this.#where()}`;
    if (offset >= desc.size) return Readable.from([]);
    const res = await this.#send('GET', `blobs/${desc.digest}`, {
      what,
      headers: offset > 0 ? { range: `bytes=${offset}-` } : {},
      signal: options.signal,
    });
    if (res.status !== 200 && res.status !== 206) throw await this.#error(res, what, 'BLOB_NOT_FOUND');
    let skip = 0;
    if (res.status === 206) {
      const start = /^bytes (\d+)-/.exec(res.header('content-range') ?? '')?.[1];
      if (start === undefined || Number(start) !== offset) {
        res.body.destroy();
        throw new AirbundleError('REGISTRY_ERROR', `${what}: asked for bytes from ${offset}, got "${res.header('content-range') ?? ''}"`);
      }
    } else {
      skip = offset;
    }
    return bodyStream(res.body, res.url, desc.size - offset, skip, what);
  }

  /**
   * push uploads a blob, or a manifest when `expected` has a manifest media type. Content the registry already
   * has is skipped (no bytes sent). The registry verifies the digest; `open` re-opens the body for recovery.
   */
  async push(expected: Descriptor, open: OpenBody, options: BlobPushOptions = {}): Promise<void> {
    if (await this.#exists(expected, options.signal, true)) return;
    if (isManifestMediaType(expected.mediaType)) {
      await this.pushManifest(expected, await readSmall(await open(0), expected), undefined, options);
      options.onBytes?.(expected.size);
      return;
    }
    await uploadBlob({
      transport: this.#t,
      repository: this.name,
      desc: expected,
      open,
      options: this.#options.upload,
      ...(options.mountFrom === undefined ? {} : { mountFrom: options.mountFrom }),
      onBytes: options.onBytes,
      signal: options.signal,
    });
  }

  /**
   * mount links a blob from another repository of the same registry. A registry that cannot mount answers with
   * an upload session; the blob is then uploaded from `open`, or without it the mount fails with BLOB_NOT_FOUND.
   */
  async mount(desc: Descriptor, fromRepository: string, open?: OpenBody, options: PushOptions = {}): Promise<UploadOutcome> {
    assertRepositoryName(fromRepository);
    const body: OpenBody =
      open ??
      (() => {
        throw new AirbundleError('BLOB_NOT_FOUND', `${this.registry} did not mount ${desc.digest} from ${fromRepository} into ${this.name}, and no content was given to upload`, {
          hint: `check that ${this.registry}/${fromRepository} has the blob`,
        });
      });
    return uploadBlob({ transport: this.#t, repository: this.name, desc, open: body, options: this.#options.upload, mountFrom: fromRepository, ...options });
  }

  /** pushManifest PUTs a manifest by digest, or by `reference` (a tag) when given, with its media type as Content-Type. */
  async pushManifest(desc: Descriptor, bytes: Uint8Array, reference?: string, options: SignalOptions = {}): Promise<void> {
    const body = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (body.length !== desc.size || sha256Digest(body) !== desc.digest) {
      throw new AirbundleError('DIGEST_MISMATCH', `manifest bytes do not match ${desc.digest} (${desc.size} bytes) given for ${this.#where()}`);
    }
    if (reference !== undefined && !isTag(reference) && reference !== desc.digest) {
      throw new AirbundleError('REFERENCE_INVALID', `"${reference}" is not a valid tag`);
    }
    const ref = reference ?? desc.digest;
    const what = `pushing ${desc.mediaType} ${ref === desc.digest ? desc.digest : `${ref} (${desc.digest})`} to ${this.#where()}`;
    const res = await this.#send('PUT', `manifests/${ref}`, { what, headers: { 'content-type': desc.mediaType }, body, push: true, signal: options.signal });
    if (res.status !== 201 && res.status !== 200 && res.status !== 202) {
      throw await responseError(res, what, { registry: this.registry, explain: (status, errors, r) => zotExplanation(desc.mediaType, status, errors, r) });
    }
    res.discard();
    const stored = res.header('docker-content-digest');
    if (stored !== undefined && isDigest(stored) && stored !== desc.digest) {
      throw new AirbundleError('DIGEST_MISMATCH', `${what}: ${this.registry} stored the manifest as ${stored}`);
    }
    const subject = res.header('oci-subject') === undefined ? subjectOf(parseJson(body)) : undefined;
    if (subject !== undefined) await this.#indexReferrer(subject, desc, body, options);
  }

  /** resolve finds the descriptor of a tag or digest (HEAD, falling back to GET when the registry says too little). */
  async resolve(reference: string, options: SignalOptions = {}): Promise<Descriptor> {
    const ref = this.#reference(reference);
    const what = `resolving ${this.#where()}${isDigest(ref) ? '@' : ':'}${ref}`;
    const res = await this.#send('HEAD', `manifests/${ref}`, { what, headers: { accept: manifestAccept() }, signal: options.signal });
    res.discard();
    if (res.status !== 200) throw await this.#error(res, what, 'MANIFEST_NOT_FOUND');
    const mediaType = contentType(res);
    const headerDigest = res.header('docker-content-digest');
    const digest = isDigest(ref) ? ref : headerDigest !== undefined && isDigest(headerDigest) ? headerDigest : undefined;
    const size = Number(res.header('content-length'));
    if (mediaType !== undefined && digest !== undefined && Number.isSafeInteger(size) && size > 0) return { mediaType, digest, size };
    return (await this.fetchManifest(ref, options)).descriptor;
  }

  /** fetchManifest GETs a manifest by tag, digest or descriptor, and checks its bytes against the digest. */
  async fetchManifest(reference: string | Descriptor, options: SignalOptions = {}): Promise<FetchedManifest> {
    const desc = typeof reference === 'string' ? undefined : reference;
    const ref = desc?.digest ?? this.#reference(reference as string);
    const what = `fetching manifest ${ref} from ${this.#where()}`;
    const res = await this.#send('GET', `manifests/${ref}`, { what, headers: { accept: manifestAccept(desc?.mediaType) }, signal: options.signal });
    if (res.status !== 200) throw await this.#error(res, what, 'MANIFEST_NOT_FOUND');
    const bytes = await res.bytes(MAX_METADATA_BYTES);
    const actual = sha256Digest(bytes);
    const headerDigest = res.header('docker-content-digest');
    const expected = isDigest(ref) ? ref : headerDigest !== undefined && isDigest(headerDigest) ? headerDigest : actual;
    if (actual !== expected || (desc !== undefined && bytes.length !== desc.size)) {
      throw new AirbundleError('DIGEST_MISMATCH', `${what}: content has digest ${actual} (${bytes.length} bytes), expected ${expected}`);
    }
    const mediaType = contentType(res) ?? mediaTypeField(bytes) ?? desc?.mediaType;
    if (mediaType === undefined) throw new AirbundleError('REGISTRY_ERROR', `${what}: the registry did not say what kind of manifest it is`);
    return { descriptor: { mediaType, digest: actual, size: bytes.length }, bytes };
  }

  /** tag points `reference` at the manifest `desc` (already in this repository). */
  async tag(desc: Descriptor, reference: string, options: SignalOptions = {}): Promise<void> {
    if (!isTag(reference)) throw new AirbundleError('REFERENCE_INVALID', `"${reference}" is not a valid tag`);
    const { bytes } = await this.fetchManifest(desc, options);
    await this.pushManifest(desc, bytes, reference, options);
  }

  /** listTags lists every tag, following `Link` pagination. A repository that does not exist has none. */
  async listTags(options: SignalOptions = {}): Promise<string[]> {
    const out: string[] = [];
    let url: URL | undefined = this.#t.url(`/v2/${this.name}/tags/list`);
    while (url !== undefined) {
      const what = `listing tags of ${this.#where()}`;
      const res: HttpResponse = await this.#t.send({ method: 'GET', url, scopes: this.#scopes(false), what, signal: options.signal });
      if (res.status === 404) {
        const err = await this.#error(res, what);
        if ((err.details?.registryErrors as RegistryErrorEntry[] | undefined)?.some((e) => e.code === 'NAME_UNKNOWN') === true) return out;
        throw err;
      }
      if (res.status !== 200) throw await this.#error(res, what);
      const doc = parseJson(await res.bytes(MAX_METADATA_BYTES)) as { tags?: unknown } | undefined;
      if (Array.isArray(doc?.tags)) for (const tag of doc.tags) if (typeof tag === 'string') out.push(tag);
      url = nextLink(res.header('link'), res.url);
    }
    return out.sort();
  }

  /**
   * referrers lists the manifests whose `subject` is `subject`: from the referrers API, or from the tag-schema
   * index when the registry answers 404 there (distribution 2.8 and 3.x).
   */
  async referrers(subject: Descriptor | Digest, options: SignalOptions & { artifactType?: string } = {}): Promise<Descriptor[]> {
    const digest = typeof subject === 'string' ? subject : subject.digest;
    if (this.#referrersApi !== false) {
      const found = await this.#referrersFromApi(digest, options);
      if (found !== undefined) return found;
    }
    const index = await this.#referrersIndex(digest, options);
    return filterByArtifactType(index.manifests, options.artifactType);
  }

  /** delete removes a manifest or blob (the registry must allow deletes). */
  async delete(desc: Descriptor, options: SignalOptions = {}): Promise<void> {
    const manifest = isManifestMediaType(desc.mediaType);
    const what = `deleting ${desc.digest} from ${this.#where()}`;
    const res = await this.#send('DELETE', `${manifest ? 'manifests' : 'blobs'}/${desc.digest}`, { what, push: true, del: true, signal: options.signal });
    if (res.status !== 202 && res.status !== 200 && res.status !== 204) throw await this.#error(res, what, manifest ? 'MANIFEST_NOT_FOUND' : 'BLOB_NOT_FOUND');
    res.discard();
  }

  async #referrersFromApi(digest: Digest, options: SignalOptions & { artifactType?: string }): Promise<Descriptor[] | undefined> {
    const out: Descriptor[] = [];
    let url: URL | undefined = this.#t.url(`/v2/${this.name}/referrers/${digest}`);
    if (options.artifactType !== undefined) url.searchParams.set('artifactType', options.artifactType);
    let filtered = false;
    while (url !== undefined) {
      const what = `listing referrers of ${digest} in ${this.#where()}`;
      const res: HttpResponse = await this.#t.send({ method: 'GET', url, scopes: this.#scopes(false), what, headers: { accept: MT_OCI_INDEX }, signal: options.signal });
      if (res.status === 404 || (res.status === 400 && out.length === 0 && this.#referrersApi === undefined)) {
        res.discard();
        this.#referrersApi = false;
        return undefined;
      }
      if (res.status !== 200) throw await this.#error(res, what);
      this.#referrersApi = true;
      filtered ||= (res.header('oci-filters-applied') ?? '').split(',').map((s) => s.trim()).includes('artifactType');
      out.push(...parseReferrersIndex(parseJson(await res.bytes(MAX_METADATA_BYTES))).manifests);
      url = nextLink(res.header('link'), res.url);
    }
    return filtered ? out : filterByArtifactType(out, options.artifactType);
  }

  async #referrersIndex(digest: Digest, options: SignalOptions): Promise<ReferrersIndex> {
    try {
      return parseReferrersIndex(parseJson((await this.fetchManifest(referrersTag(digest), options)).bytes));
    } catch (err) {
      if (isAirbundleError(err, 'MANIFEST_NOT_FOUND')) return emptyReferrersIndex();
      throw err;
    }
  }

  /** #indexReferrer adds a pushed manifest to its subject's tag-schema index (the registry did not answer OCI-Subject). */
  async #indexReferrer(subject: Descriptor, desc: Descriptor, body: Buffer, options: SignalOptions): Promise<void> {
    const updated = addReferrer(await this.#referrersIndex(subject.digest, options), referrerDescriptor(desc, parseJson(body)));
    if (updated === undefined) return;
    const bytes = Buffer.from(JSON.stringify(updated));
    await this.pushManifest({ mediaType: MT_OCI_INDEX, digest: sha256Digest(bytes), size: bytes.length }, bytes, referrersTag(subject.digest), options);
  }

  #send(
    method: 'GET' | 'HEAD' | 'PUT' | 'DELETE',
    path: string,
    req: { what: string; headers?: Record<string, string>; body?: Buffer; push?: boolean; del?: boolean; signal?: AbortSignal | undefined },
  ): Promise<HttpResponse> {
    return this.#t.send({
      method,
      url: this.#t.url(`/v2/${this.name}/${path}`),
      scopes: this.#scopes(req.push === true, req.del === true),
      what: req.what,
      headers: req.headers ?? {},
      ...(req.body === undefined ? {} : { body: req.body }),
      signal: req.signal,
    });
  }

  #scopes(push: boolean, del = false): string[] {
    return [repositoryScope(this.name, del ? ['delete'] : push ? ['pull', 'push'] : ['pull'])];
  }

  #error(res: HttpResponse, what: string, notFound?: 'MANIFEST_NOT_FOUND' | 'BLOB_NOT_FOUND'): Promise<AirbundleError> {
    return responseError(res, what, { registry: this.registry, ...(notFound === undefined ? {} : { notFound }) });
  }

  /** #reference accepts a tag, a digest, `@digest`, or a full reference to this repository. */
  #reference(reference: string): string {
    const ref = reference.startsWith('@') ? reference.slice(1) : reference;
    if (isDigest(ref) || isTag(ref)) return ref;
    const parsed = parseReference(reference, { defaultTag: null });
    if (parsed.repository !== this.name || (parsed.registry !== this.registry && !reference.startsWith(this.name))) {
      throw new AirbundleError('REFERENCE_INVALID', `"${reference}" does not name ${this.#where()}`);
    }
    const out = parsed.digest ?? parsed.tag;
    if (out === undefined) throw new AirbundleError('REFERENCE_INVALID', `"${reference}" names no tag or digest`);
    return out;
  }

  #where(): string {
    return `${this.registry}/${this.name}`;
  }
}
