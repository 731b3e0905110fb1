/**
 * pullCredentials finds the credentials the cluster's nodes should pull with: the deploy's own registry
 * credentials, explicit (`--username` with `--password-stdin`) first, else Docker's config.json and credential
 * helpers for the registry host, as the registry client itself would find them. Only a user name and password can
 * go in a pull Secret: identity and registry tokens are not used. Never logged.
 */
import { dockerConfigCredentials } from '../../src/oci/credentials.js';
import type { RegistryOptions } from '../../src/oci/registry.js';
import type { RegistryCredentials } from '../manifests/pull-secret.js';

/** pullCredentials returns the credentials for `registry` (`HOST[:PORT][/PREFIX]`), or undefined when there are none. */
export async function pullCredentials(registry: string, connection: Omit<RegistryOptions, 'onEvent' | 'phase'> = {}): Promise<RegistryCredentials | undefined> {
  if (connection.username !== undefined && connection.password !== undefined) return { username: connection.username, password: connection.password };
  if (connection.credentials === false) return undefined;
  const found = await (connection.credentials ?? dockerConfigCredentials())(registry.split('/')[0]!);
  return found?.username !== undefined && found.password !== undefined ? { username: found.username, password: found.password } : undefined;
}
