/**
 * Registry authentication, per host: anonymous until the registry challenges, then Basic (htpasswd registries, zot)
 * or a Bearer token from the challenge's realm, fetched with Basic credentials, an OAuth2 refresh token, or
 * anonymously. Tokens are cached per scope set until shortly before they expire; a 401 on a request that carried a
 * token (a token that expired in the middle of a long upload) drops it and fetches a new one. Credentials are
 * looked up once, lazily, and never appear in messages.
 * Reference: https://distribution.github.io/distribution/spec/auth/token/ and /spec/auth/oauth/;
 * oras-go registry/remote/auth/client.go.
 */
import { AirbundleError, errorMessage } from '../errors.js';
import { parseChallenge, type Challenge } from './challenge.js';
import type { Credential, CredentialProvider } from './credentials.js';
import { responseError } from './errcode.js';
import type { HttpClient, HttpResponse } from './http-client.js';

/** Scope is a token scope, `repository:<name>:<actions>`. */
export type Scope = string;

/** repositoryScope builds the scope for actions on a repository. */
export function repositoryScope(repository: string, actions: ReadonlyArray<'pull' | 'push' | 'delete'>): Scope {
  return `repository:${repository}:${actions.join(',')}`;
}

/** AuthenticatorOptions for {@link Authenticator}. */
export interface AuthenticatorOptions {
  /** Registry as named in references (`docker.io`, `host:5000`): credential lookup and messages. */
  registry: string;
  http: HttpClient;
  /** Where credentials come from; none means anonymous. */
  credentials?: CredentialProvider;
  /** OAuth2 client id sent with refresh-token grants. Default `airbundle`. */
  clientId?: string;
}

interface CachedToken {
  header: string;
  expiresAt: number;
}

/** Tokens are renewed this long before the registry would reject them. */
const EXPIRY_MARGIN_MS = 10_000;
/** Token lifetime when the server does not say (the spec's default and minimum). */
const DEFAULT_TOKEN_SECONDS = 60;

/** Authenticator answers a registry host's auth challenges and caches what it got. */
export class Authenticator {
  readonly #options: AuthenticatorOptions;
  #challenge: Challenge | undefined;
  #credential: Promise<Credential | undefined> | undefined;
  readonly #tokens = new Map<string, Promise<CachedToken>>();

  constructor(options: AuthenticatorOptions) {
    this.#options = options;
  }

  /** authorization is the header to send up front for `scopes`, once the host has challenged; else undefined. */
  async authorization(scopes: readonly Scope[], signal?: AbortSignal): Promise<string | undefined> {
    const challenge = this.#challenge;
    if (challenge === undefined) return undefined;
    if (challenge.scheme === 'basic') return basicHeader(await this.#credentialOnce());
    if (challenge.scheme === 'bearer') return (await this.#token(challenge, scopes, signal)).header;
    return undefined;
  }

  /**
   * challenged learns from a 401 response and returns the header to retry the request with. `sent` is the header
   * the refused request carried: a token is dropped and fetched again; Basic credentials refused once are refused.
   */
  async challenged(res: { header(name: string): string | undefined; discard(): void }, scopes: readonly Scope[], sent: string | undefined, signal?: AbortSignal): Promise<string> {
    const challenge = parseChallenge(res.header('www-authenticate'));
    res.discard();
    if (challenge === undefined) {
      throw new AirbundleError('REGISTRY_AUTH', `registry ${this.#options.registry} answered 401 Unauthorized without saying how to authenticate (no WWW-Authenticate)`);
    }
    this.#challenge = challenge;
    if (challenge.scheme === 'basic') {
      const header = basicHeader(await this.#credentialOnce());
      if (header === undefined) throw await this.refused();
      if (header === sent) throw await this.refused();
      return header;
    }
    if (challenge.scheme === 'bearer') {
      const wanted = [...scopes, ...(challenge.params.scope ?? '').split(' ').filter((s) => s !== '')];
      const key = scopeKey(scopes);
      const cached = this.#tokens.get(key);
      if (cached !== undefined) {
        const token = await cached.catch(() => undefined);
        if (token === undefined || token.header === sent) this.#tokens.delete(key);
      }
      return (await this.#token(challenge, wanted, signal, key)).header;
    }
    throw new AirbundleError('REGISTRY_AUTH', `registry ${this.#options.registry} asks for "${challenge.scheme}" authentication, which is not supported (only Basic and Bearer)`);
  }

  /** refused is the error for credentials the registry did not accept (or for missing ones). */
  async refused(): Promise<AirbundleError> {
    const registry = this.#options.registry;
    const cred = await this.#credentialOnce().catch(() => undefined);
    if (cred === undefined) {
      return new AirbundleError('REGISTRY_AUTH', `registry ${registry} requires authentication and no credentials were found for it`, {
        hint: `pass --username and --password, or run "docker login ${registry}"`,
        details: { registry },
      });
    }
    return new AirbundleError('REGISTRY_AUTH', `registry ${registry} refused the credentials from ${cred.source}`, {
      hint: `check the username and password (--username / --password), or run "docker login ${registry}" again`,
      details: { registry, credentialSource: cred.source },
    });
  }

  #credentialOnce(): Promise<Credential | undefined> {
    this.#credential ??= this.#options.credentials?.(this.#options.registry) ?? Promise.resolve(undefined);
    return this.#credential;
  }

  async #token(challenge: Challenge, scopes: readonly Scope[], signal: AbortSignal | undefined, key = scopeKey(scopes)): Promise<CachedToken> {
    const cached = this.#tokens.get(key);
    if (cached !== undefined) {
      const token = await cached.catch(() => undefined);
      if (token !== undefined && token.expiresAt > Date.now()) return token;
      if (this.#tokens.get(key) === cached) this.#tokens.delete(key);
    }
    const pending = this.#fetchToken(challenge, [...new Set(scopes)].sort(), signal);
    this.#tokens.set(key, pending);
    pending.catch(() => {
      if (this.#tokens.get(key) === pending) this.#tokens.delete(key);
    });
    return pending;
  }

  async #fetchToken(challenge: Challenge, scopes: readonly Scope[], signal: AbortSignal | undefined): Promise<CachedToken> {
    const registry = this.#options.registry;
    const realm = challenge.params.realm;
    if (realm === undefined || realm === '') {
      throw new AirbundleError('REGISTRY_AUTH', `registry ${registry} asks for a Bearer token but names no token service (realm)`);
    }
    let url: URL;
    try {
      url = new URL(realm);
    } catch (err) {
      throw new AirbundleError('REGISTRY_AUTH', `registry ${registry} names a token service that is not a URL: ${errorMessage(err)}`);
    }
    const cred = await this.#credentialOnce();
    if (cred?.registryToken !== undefined) return { header: `Bearer ${cred.registryToken}`, expiresAt: Number.POSITIVE_INFINITY };
    const service = challenge.params.service;
    let res: HttpResponse;
    if (cred?.identityToken !== undefined) {
      const form = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: cred.identityToken, client_id: this.#options.clientId ?? 'airbundle' });
      if (service !== undefined) form.set('service', service);
      if (scopes.length > 0) form.set('scope', scopes.join(' '));
      res = await this.#options.http.send({
        method: 'POST',
        url,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: Buffer.from(form.toString()),
        signal,
      });
    } else {
      if (service !== undefined) url.searchParams.set('service', service);
      for (const scope of scopes) url.searchParams.append('scope', scope);
      const basic = basicHeader(cred);
      res = await this.#options.http.send({ method: 'GET', url, headers: basic === undefined ? {} : { authorization: basic }, signal });
    }
    if (res.status === 401 || res.status === 403) {
      res.discard();
      throw await this.refused();
    }
    if (res.status !== 200) {
      throw await responseError(res, `getting a token for ${registry} from ${url.host}`, { registry: url.host });
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse((await res.bytes(1024 * 1024)).toString('utf8'));
    } catch (err) {
      throw new AirbundleError('REGISTRY_AUTH', `the token service ${url.host} of ${registry} answered with something that is not JSON`, { cause: err });
    }
    const body = (parsed ?? {}) as { token?: unknown; access_token?: unknown; expires_in?: unknown };
    const token = typeof body.token === 'string' && body.token !== '' ? body.token : body.access_token;
    if (typeof token !== 'string' || token === '') {
      throw new AirbundleError('REGISTRY_AUTH', `the token service ${url.host} of ${registry} answered without a token`);
    }
    const seconds = typeof body.expires_in === 'number' && body.expires_in > DEFAULT_TOKEN_SECONDS ? body.expires_in : DEFAULT_TOKEN_SECONDS;
    return { header: `Bearer ${token}`, expiresAt: Date.now() + seconds * 1000 - EXPIRY_MARGIN_MS };
  }
}

function basicHeader(cred: Credential | undefined): string | undefined {
  if (cred?.username === undefined || cred.password === undefined) return undefined;
  return `Basic ${Buffer.from(`${cred.username}:${cred.password}`).toString('base64')}`;
}

function scopeKey(scopes: readonly Scope[]): string {
  return [...new Set(scopes)].sort().join(' ');
}
