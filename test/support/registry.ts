/**
 * A real registry for tests: Debian's `docker-registry` (CNCF distribution 2.8) on a free loopback port, storing
 * into a temp directory that is removed on stop. Optionally with htpasswd (Basic) auth, the bcrypt hash made by
 * `htpasswd` (apache2-utils) when installed, else by Perl's crypt(3) (libxcrypt does bcrypt; perl-base is essential
 * on Debian), or with token (Bearer) auth against a token server (see token-server.ts).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { access, constants, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export const REGISTRY_BIN = '/usr/bin/docker-registry';

/** StartRegistryOptions: no auth by default. */
export interface StartRegistryOptions {
  htpasswd?: { user: string; password: string };
  token?: { realm: string; service: string; issuer: string; rootCertBundle: string };
}

/** RunningRegistry is a registry process; `host` is `127.0.0.1:PORT`. */
export interface RunningRegistry {
  host: string;
  port: number;
  dataDir: string;
  /** The registry's log so far (for failure messages). */
  log(): Promise<string>;
  stop(): Promise<void>;
}

/** startRegistry starts distribution 2.8 and waits until `GET /v2/` answers. */
export async function startRegistry(options: StartRegistryOptions = {}): Promise<RunningRegistry> {
  try {
    await access(REGISTRY_BIN, constants.X_OK);
  } catch {
    throw new Error(`${REGISTRY_BIN} is missing: apt-get install docker-registry (scripts/test.sh does it)`);
  }
  const dir = await mkdtemp(join(tmpdir(), 'airbundle-registry-'));
  let lastError: unknown;
  for (let tries = 0; tries < 3; tries += 1) {
    try {
      return await startOnce(dir, options);
    } catch (err) {
      lastError = err;
    }
  }
  await rm(dir, { recursive: true, force: true });
  throw lastError;
}

async function startOnce(dir: string, options: StartRegistryOptions): Promise<RunningRegistry> {
  const port = await freePort();
  const lines = [
    'version: 0.1',
    'log:',
    '  level: info',
    '  formatter: text',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${join(dir, 'data')}`,
    '  delete:',
    '    enabled: true',
    '  maintenance:',
    '    uploadpurging:',
    '      enabled: false',
    'http:',
    `  addr: 127.0.0.1:${port}`,
    `  secret: ${randomBytes(16).toString('hex')}`,
  ];
  if (options.htpasswd !== undefined) {
    const file = join(dir, 'htpasswd');
    await writeFile(file, `${options.htpasswd.user}:${bcryptHash(options.htpasswd.password)}\n`);
    lines.push('auth:', '  htpasswd:', '    realm: basic-realm', `    path: ${file}`);
  } else if (options.token !== undefined) {
    const t = options.token;
    lines.push('auth:', '  token:', `    realm: ${t.realm}`, `    service: ${t.service}`, `    issuer: ${t.issuer}`, `    rootcertbundle: ${t.rootCertBundle}`);
  }
  const config = join(dir, 'config.yml');
  await writeFile(config, `${lines.join('\n')}\n`);
  const logPath = join(dir, 'registry.log');
  const logStream = createWriteStream(logPath, { flags: 'a' });
  const child = spawn(REGISTRY_BIN, ['serve', config], { stdio: ['ignore', 'pipe', 'pipe'] });
  // Two sources into one log: neither may end it (write after end); stop() ends it once both are closed.
  child.stdout.pipe(logStream, { end: false });
  child.stderr.pipe(logStream, { end: false });
  const log = (): Promise<string> => readFile(logPath, 'utf8').catch(() => '');
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  const host = `127.0.0.1:${port}`;

  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`docker-registry exited (${child.exitCode}):\n${(await log()).slice(-2000)}`);
    const status = await probe(port);
    if (status === 200 || status === 401) break;
    if (Date.now() > deadline) {
      await kill(child, exited);
      throw new Error(`docker-registry did not answer on ${host} within 20 s:\n${(await log()).slice(-2000)}`);
    }
    await sleep(50);
  }
  return {
    host,
    port,
    dataDir: join(dir, 'data'),
    log,
    stop: async () => {
      await kill(child, exited);
      logStream.end();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

async function kill(child: ChildProcess, exited: Promise<void>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) {
    await exited;
    return;
  }
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

function probe(port: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path: '/v2/', method: 'GET', agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode);
    });
    req.setTimeout(1000, () => req.destroy());
    req.on('error', () => resolve(undefined));
    req.end();
  });
}

/** freePort asks the kernel for a free loopback port. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (addr !== null && typeof addr === 'object' ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

/** bcryptHash makes a bcrypt hash for htpasswd: `htpasswd -nbB` when installed, else Perl's crypt(3). */
export function bcryptHash(password: string): string {
  const htpasswd = spawnSync('htpasswd', ['-nbBC', '5', 'u', password], { encoding: 'utf8' });
  if (htpasswd.status === 0) return htpasswd.stdout.trim().slice('u:'.length);
  const alphabet = './ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  const salt = Array.from(randomBytes(22), (b) => alphabet[b % 64]).join('');
  const perl = spawnSync('perl', ['-e', 'print crypt($ARGV[0], $ARGV[1])', password, `$2b$05$${salt}`], { encoding: 'utf8' });
  const hash = perl.stdout.trim();
  if (perl.status !== 0 || !hash.startsWith('$2b$')) {
    throw new Error('cannot make a bcrypt hash: install apache2-utils (htpasswd), or a Perl whose crypt(3) does bcrypt');
  }
  return hash;
}
