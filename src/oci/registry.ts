/**
 * Registry is one registry host with what its repositories share: the HTTP client (keep-alive connections, TLS
 * options), the authenticator (credentials, cached tokens), the retry policy and the upload options.
 * Reference: oras-go v2 registry/remote/registry.go.
 */
import type { ProgressSink } from '../progress/events.js';
import { AirbundleError } from '../errors.js';
import { Authenticator } from './auth.js';
import type { UploadOptions } from './blob-upload.js';
import { chainCredentials, dockerConfigCredentials, staticCredentials, type CredentialProvider } from './credentials.js';
import { responseError } from './errcode.js';
import { HttpClient, type HttpClientOptions, type HttpResponse } from './http-client.js';
import { nextLink } from './link-header.js';
import { DOCKER_HUB, DOCKER_HUB_API_HOST, apiHost, isRegistryHost, parseReference, type Reference } from './reference.js';
import { Repository } from './repository.js';
import { RetryPolicy, type RetryOptions } from './retry.js';
import { Transport } from './transport.js';

/** RegistryOptions: connection (see HttpClientOptions), credentials, retries, uploads and progress. */
export interface RegistryOptions extends HttpClientOptions {
  /** Explicit credentials (`--username` / `--password`); they win over Docker's config.json. */
  username?: string;
  password?: string;
  /** Where else to look for credentials. Default Docker's config.json and credential helpers; `false` for none. */
  credentials?: CredentialProvider | false;
  retry?: RetryOptions;
  upload?: UploadOptions;
  /** Receives `retry` progress events. */
  onEvent?: ProgressSink;
  /** Phase of those events. Default `registry`. */
  phase?: string;
}

/** SignalOptions of the registry-level calls. */
export interface RegistryCallOptions {
  signal?: AbortSignal;
}

/** Registry talks to one registry host. */
export class Registry {
  /** Registry as named in references (`docker.io`, `host:5000`). */
  readonly name: string;
  /** Host that serves the API (`registry-1.docker.io` for Docker Hub). */
  readonly apiHost: string;
  readonly #options: RegistryOptions;
  readonly #transport: Transport;

  constructor(name: string, options: RegistryOptions = {}) {
    if (!isRegistryHost(name)) {
      throw new AirbundleError('REFERENCE_INVALID', `"${name}" is not a registry host`, { hint: 'a registry is host[:port], e.g. registry.local:5000' });
    }
    this.name = name === 'index.docker.io' || name === DOCKER_HUB_API_HOST ? DOCKER_HUB : name;
    this.apiHost = apiHost(this.name);
    this.#options = options;
    const http = new HttpClient(options);
    const providers: CredentialProvider[] = [];
    if (options.username !== undefined && options.password !== undefined) providers.push(staticCredentials(options.username, options.password));
    if (options.credentials !== false) providers.push(options.credentials ?? dockerConfigCredentials());
    const auth = new Authenticator({ registry: this.name, http, credentials: chainCredentials(...providers) });
    this.#transport = new Transport({
      registry: this.name,
      apiHost: this.apiHost,
      http,
      auth,
      retry: new RetryPolicy(options.retry),
      ...(options.onEvent === undefined ? {} : { onEvent: options.onEvent }),
      ...(options.phase === undefined ? {} : { phase: options.phase }),
    });
  }

  /** repository returns the repository `name` (e.g. `team/model`) of this registry. */
  repository(name: string): Repository {
    return new Repository(this.#transport, name, this.#options.upload === undefined ? {} : { upload: this.#options.upload });
  }

  /** ping checks that the host speaks the distribution API and that the credentials (if any are needed) work. */
  async ping(options: RegistryCallOptions = {}): Promise<void> {
    const what = `checking registry ${this.name}`;
    const res = await this.#transport.send({ method: 'GET', url: this.#transport.url('/v2/'), scopes: [], what, signal: options.signal });
    if (res.status === 200) {
      res.discard();
      return;
    }
    throw await responseError(res, what, {
      registry: this.name,
      ...(res.status === 404 ? { hint: `${this.apiHost} does not serve the OCI distribution API at /v2/; check the host and port` } : {}),
    });
  }

  /** catalog lists the repositories of the registry, following `Link` pagination. */
  async catalog(options: RegistryCallOptions = {}): Promise<string[]> {
    const out: string[] = [];
    let url: URL | undefined = this.#transport.url('/v2/_catalog');
    while (url !== undefined) {
      const what = `listing repositories of ${this.name}`;
      const res: HttpResponse = await this.#transport.send({ method: 'GET', url, scopes: ['registry:catalog:*'], what, signal: options.signal });
      if (res.status !== 200) throw await responseError(res, what, { registry: this.name });
      const doc = JSON.parse((await res.bytes(16 * 1024 * 1024)).toString('utf8')) as { repositories?: unknown };
      if (Array.isArray(doc.repositories)) for (const r of doc.repositories) if (typeof r === 'string') out.push(r);
      url = nextLink(res.header('link'), res.url);
    }
    return out;
  }

  /** close drops idle connections. */
  close(): void {
    this.#transport.http.close();
  }
}

/** openRepository parses a reference and returns its repository on a new Registry, with the parsed reference. */
export function openRepository(reference: string | Reference, options: RegistryOptions = {}): { repository: Repository; reference: Reference; registry: Registry } {
  const ref = typeof reference === 'string' ? parseReference(reference) : reference;
  const registry = new Registry(ref.registry, options);
  return { repository: registry.repository(ref.repository), reference: ref, registry };
}
