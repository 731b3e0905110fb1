import type { Command } from 'commander';
import type { RegistryOptions } from '../oci/registry.js';
import { AirbundleError } from '../errors.js';

/** RegistryFlags are the connection flags every registry-facing command takes. */
export interface RegistryFlags {
  username?: string;
  passwordStdin?: boolean;
  plainHttp?: boolean;
  insecure?: boolean;
  caFile?: string;
  timeout?: string;
}

/** addRegistryFlags adds --username/--password-stdin/--plain-http/--insecure/--ca-file/--timeout to a command. */
export function addRegistryFlags(cmd: Command): Command {
  return cmd
    .option('-u, --username <user>', 'registry user (default: from ~/.docker/config.json and credential helpers)')
    .option('--password-stdin', 'read the registry password from standard input')
    .option('--plain-http', 'speak plain HTTP to the registry (only for registries without TLS)')
    .option('--insecure', 'do not verify the registry\'s TLS certificate')
    .option('--ca-file <pem>', 'trust these CA certificates for the registry')
    .option('--timeout <seconds>', 'drop a connection that sends or takes nothing for this long, and retry (registries and downloads; default 120)');
}

/** registryOptionsFrom turns the flags into client options, reading the password from stdin when asked. */
export async function registryOptionsFrom(flags: RegistryFlags): Promise<Omit<RegistryOptions, 'onEvent' | 'phase'>> {
  let password: string | undefined;
  if (flags.passwordStdin === true) {
    if (flags.username === undefined) throw new AirbundleError('USAGE', '--password-stdin needs --username');
    const chunks: Buffer[] = [];
    for await (const c of process.stdin) chunks.push(c as Buffer);
    password = Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
  } else if (flags.username !== undefined) {
    password = process.env.AIRBUNDLE_REGISTRY_PASSWORD;
    if (password === undefined) throw new AirbundleError('USAGE', '--username needs --password-stdin (or AIRBUNDLE_REGISTRY_PASSWORD)');
  }
  const timeoutMs = flags.timeout === undefined ? undefined : parseTimeout(flags.timeout);
  return {
    ...(timeoutMs !== undefined ? { timeoutMs } : {}),
    ...(flags.username !== undefined && password !== undefined ? { username: flags.username, password } : {}),
    ...(flags.plainHttp === true ? { plainHttp: true } : {}),
    ...(flags.insecure === true ? { insecure: true } : {}),
    ...(flags.caFile !== undefined ? { caFile: flags.caFile } : {}),
  };
}

/** parseTimeout reads `--timeout` seconds (a positive number, fractions allowed) as milliseconds. */
function parseTimeout(text: string): number {
  const seconds = Number(text);
  if (text.trim() === '' || !Number.isFinite(seconds) || seconds <= 0) {
    throw new AirbundleError('USAGE', `--timeout ${text}: not a number of seconds`, { hint: 'give a positive number of seconds, e.g. --timeout 30' });
  }
  return Math.round(seconds * 1000);
}
