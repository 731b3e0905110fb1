/**
 * Where registry credentials come from: explicit flags, or Docker's `config.json` as `docker login` writes it
 * (`credHelpers[host]`, then `credsStore`, then `auths[host]`), with credential helpers run as
 * `docker-credential-<name> get` and the server address on stdin. A `Credential` knows where it came from, for
 * messages; secrets never appear in messages or errors.
 * Reference: https://github.com/docker/docker-credential-helpers (protocol); docker/cli
 * docs/reference/commandline/login.md ("Credential helper protocol", "Credential stores").
 */
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { AirbundleError, errorMessage } from '../errors.js';
import { DOCKER_HUB, DOCKER_HUB_API_HOST } from './reference.js';

/** Credential is what to authenticate with at one registry. */
export interface Credential {
  username?: string;
  password?: string;
  /** OAuth2 refresh token (`identitytoken` in config.json; a helper answering Username `<token>`). */
  identityToken?: string;
  /** Bearer token used as is (`registrytoken` in config.json). */
  registryToken?: string;
  /** Where the credential came from, for messages: `--username`, `/root/.docker/config.json`, … */
  source: string;
}

/** CredentialProvider finds the credential for a registry (as named in references, e.g. `docker.io`). */
export type CredentialProvider = (registry: string) => Promise<Credential | undefined>;

/** DockerConfigOptions for {@link dockerConfigCredentials}. */
export interface DockerConfigOptions {
  /** Directory holding config.json. Default `$DOCKER_CONFIG`, else `~/.docker`. */
  configDir?: string;
  /** Environment of credential helpers (their PATH). Default process.env. */
  env?: NodeJS.ProcessEnv;
}

/** The key Docker uses for Docker Hub in config.json and with helpers. */
const DOCKER_HUB_KEY = 'https://index.docker.io/v1/';
const DOCKER_HUB_HOSTS = new Set([DOCKER_HUB, 'index.docker.io', DOCKER_HUB_API_HOST]);

/** staticCredentials always answers with the given username and password (`--username` / `--password`). */
export function staticCredentials(username: string, password: string, source = '--username/--password'): CredentialProvider {
  return () => Promise.resolve({ username, password, source });
}

/** chainCredentials asks each provider in turn and returns the first credential found. */
export function chainCredentials(...providers: CredentialProvider[]): CredentialProvider {
  return async (registry) => {
    for (const provider of providers) {
      const found = await provider(registry);
      if (found !== undefined) return found;
    }
    return undefined;
  };
}

/** dockerConfigCredentials reads credentials as the Docker CLI does, from config.json and credential helpers. */
export function dockerConfigCredentials(options: DockerConfigOptions = {}): CredentialProvider {
  return async (registry) => {
    const env = options.env ?? process.env;
    const dir = options.configDir ?? env.DOCKER_CONFIG ?? join(homedir(), '.docker');
    const path = join(dir, 'config.json');
    const config = await readConfig(path);
    if (config === undefined) return undefined;
    const serverAddress = DOCKER_HUB_HOSTS.has(registry) ? DOCKER_HUB_KEY : registry;

    const helper = findHelper(config.credHelpers, registry) ?? (typeof config.credsStore === 'string' && config.credsStore !== '' ? config.credsStore : undefined);
    if (helper !== undefined) {
      const fromHelper = await runHelper(helper, serverAddress, env);
      if (fromHelper !== undefined) return fromHelper;
    }
    return fromAuths(config.auths, registry, path);
  };
}

interface DockerConfig {
  auths?: Record<string, unknown>;
  credHelpers?: Record<string, unknown>;
  credsStore?: unknown;
}

async function readConfig(path: string): Promise<DockerConfig | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
  try {
    const parsed: unknown = JSON.parse(text);
    return parsed !== null && typeof parsed === 'object' ? (parsed as DockerConfig) : undefined;
  } catch (err) {
    throw new AirbundleError('REGISTRY_AUTH', `cannot read registry credentials: ${path} is not valid JSON`, { cause: err });
  }
}

/** sameRegistry tells whether a config.json key (`host`, `https://host/v1/`) names `registry`. */
function sameRegistry(key: string, registry: string): boolean {
  const host = key.replace(/^[a-z]+:\/\//i, '').replace(/\/.*$/, '');
  if (DOCKER_HUB_HOSTS.has(registry)) return DOCKER_HUB_HOSTS.has(host);
  return host === registry;
}

function findHelper(helpers: Record<string, unknown> | undefined, registry: string): string | undefined {
  for (const [key, value] of Object.entries(helpers ?? {})) {
    if (typeof value === 'string' && value !== '' && sameRegistry(key, registry)) return value;
  }
  return undefined;
}

function fromAuths(auths: Record<string, unknown> | undefined, registry: string, path: string): Credential | undefined {
  for (const [key, value] of Object.entries(auths ?? {})) {
    if (!sameRegistry(key, registry) || value === null || typeof value !== 'object') continue;
    const entry = value as Record<string, unknown>;
    const cred: Credential = { source: path };
    if (typeof entry.auth === 'string' && entry.auth !== '') {
      const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon === -1) throw new AirbundleError('REGISTRY_AUTH', `the "auth" entry for ${key} in ${path} is not base64 of "user:password"`);
      cred.username = decoded.slice(0, colon);
      cred.password = decoded.slice(colon + 1);
    }
    if (typeof entry.username === 'string' && entry.username !== '') cred.username = entry.username;
    if (typeof entry.password === 'string' && entry.password !== '') cred.password = entry.password;
    if (typeof entry.identitytoken === 'string' && entry.identitytoken !== '') cred.identityToken = entry.identitytoken;
    if (typeof entry.registrytoken === 'string' && entry.registrytoken !== '') cred.registryToken = entry.registrytoken;
    if (cred.username !== undefined || cred.identityToken !== undefined || cred.registryToken !== undefined) return cred;
  }
  return undefined;
}

/** runHelper runs `docker-credential-<name> get`; a helper that has nothing for the host yields undefined. */
async function runHelper(name: string, serverAddress: string, env: NodeJS.ProcessEnv): Promise<Credential | undefined> {
  const program = `docker-credential-${name}`;
  const { code, stdout, spawnError } = await new Promise<{ code: number | null; stdout: string; spawnError?: Error }>((resolve) => {
    const child = spawn(program, ['get'], { env, stdio: ['pipe', 'pipe', 'ignore'] });
    const out: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.on('error', (err) => resolve({ code: null, stdout: '', spawnError: err }));
    child.on('close', (c) => resolve({ code: c, stdout: Buffer.concat(out).toString('utf8') }));
    child.stdin.on('error', () => undefined);
    child.stdin.end(serverAddress);
  });
  if (spawnError !== undefined) {
    throw new AirbundleError('REGISTRY_AUTH', `credential helper ${program} for ${serverAddress} could not be run: ${errorMessage(spawnError)}`, {
      cause: spawnError,
      hint: `install ${program} on PATH, remove it from your Docker config.json, or pass --username and --password`,
    });
  }
  if (code !== 0) {
    if (/credentials not found/i.test(stdout)) return undefined;
    // Helpers print only a message on failure; keep it short, it is never a secret.
    const message = stdout.trim().split('\n')[0]?.slice(0, 200) ?? '';
    throw new AirbundleError('REGISTRY_AUTH', `credential helper ${program} failed for ${serverAddress} (exit ${code ?? 'signal'})${message === '' ? '' : `: ${message}`}`, {
      hint: `check "${program} get", or pass --username and --password`,
    });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(stdout);
  } catch {
    throw new AirbundleError('REGISTRY_AUTH', `credential helper ${program} gave an answer for ${serverAddress} that is not JSON`);
  }
  const answer = (parsed ?? {}) as { Username?: unknown; Secret?: unknown };
  if (typeof answer.Secret !== 'string' || answer.Secret === '') return undefined;
  const source = `credential helper ${program}`;
  if (answer.Username === '<token>') return { identityToken: answer.Secret, source };
  return { username: typeof answer.Username === 'string' ? answer.Username : '', password: answer.Secret, source };
}
