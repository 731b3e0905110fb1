import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { chainCredentials, dockerConfigCredentials, staticCredentials } from '../../src/oci/index.js';
import { expectCode } from '../support/matchers.js';
import { useTempDirs } from '../support/temp-dir.js';

const tempDir = useTempDirs();
const b64 = (s: string): string => Buffer.from(s).toString('base64');

/** A fake credential helper that knows two hosts and logs what it was asked. */
async function fakeHelper(dir: string): Promise<NodeJS.ProcessEnv> {
  const bin = join(dir, 'bin');
  await mkdir(bin);
  const script = `#!/bin/sh
[ "$1" = get ] || exit 2
host=$(cat)
echo "$host" >> "${join(dir, 'asked.log')}"
case "$host" in
  reg.example:5000) echo '{"ServerURL":"reg.example:5000","Username":"helper-user","Secret":"helper-secret"}' ;;
  tok.example) echo '{"ServerURL":"tok.example","Username":"<token>","Secret":"refresh-123"}' ;;
  https://index.docker.io/v1/) echo '{"ServerURL":"x","Username":"hub-user","Secret":"hub-secret"}' ;;
  broken.example) echo 'keychain is locked'; exit 1 ;;
  *) echo 'credentials not found in native keychain'; exit 1 ;;
esac
`;
  await writeFile(join(bin, 'docker-credential-fake'), script);
  await chmod(join(bin, 'docker-credential-fake'), 0o755);
  return { PATH: `${bin}:${process.env.PATH ?? ''}` };
}

describe('dockerConfigCredentials', () => {
  it('reads auths: base64 auth, username/password fields, identity and registry tokens, any key form', async () => {
    const dir = await tempDir();
    await writeFile(
      join(dir, 'config.json'),
      JSON.stringify({
        auths: {
          'https://a.example/v1/': { auth: b64('alice:pa:ss') },
          'b.example:5000': { username: 'bob', password: 'pw' },
          'c.example': { identitytoken: 'refresh-token' },
          'd.example': { registrytoken: 'bearer-token' },
          'https://index.docker.io/v1/': { auth: b64('hub:hubpw') },
        },
      }),
    );
    const creds = dockerConfigCredentials({ configDir: dir, env: {} });
    const source = join(dir, 'config.json');
    expect(await creds('a.example')).toEqual({ username: 'alice', password: 'pa:ss', source });
    expect(await creds('b.example:5000')).toEqual({ username: 'bob', password: 'pw', source });
    expect(await creds('c.example')).toEqual({ identityToken: 'refresh-token', source });
    expect(await creds('d.example')).toEqual({ registryToken: 'bearer-token', source });
    expect(await creds('docker.io')).toEqual({ username: 'hub', password: 'hubpw', source });
    expect(await creds('other.example')).toBeUndefined();
  });

  it('uses credHelpers for their host, then credsStore, with the server address on stdin', async () => {
    const dir = await tempDir();
    const env = await fakeHelper(dir);
    await writeFile(
      join(dir, 'config.json'),
      JSON.stringify({ credHelpers: { 'reg.example:5000': 'fake' }, credsStore: 'fake', auths: { 'plain.example': { auth: b64('p:q') } } }),
    );
    const creds = dockerConfigCredentials({ configDir: dir, env });
    expect(await creds('reg.example:5000')).toEqual({ username: 'helper-user', password: 'helper-secret', source: 'credential helper docker-credential-fake' });
    expect(await creds('tok.example')).toEqual({ identityToken: 'refresh-123', source: 'credential helper docker-credential-fake' });
    expect(await creds('docker.io')).toMatchObject({ username: 'hub-user' });
    // The store has nothing for this host: the plain auths entry is used.
    expect(await creds('plain.example')).toMatchObject({ username: 'p', password: 'q' });
    const err = await expectCode(creds('broken.example'), 'REGISTRY_AUTH');
    expect(err.message).toContain('keychain is locked');
  });

  it('says REGISTRY_AUTH when the configured helper is not installed', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'config.json'), JSON.stringify({ credsStore: 'does-not-exist' }));
    const err = await expectCode(dockerConfigCredentials({ configDir: dir, env: { PATH: dir } })('x.example'), 'REGISTRY_AUTH');
    expect(err.message).toContain('docker-credential-does-not-exist');
    expect(err.hint).toContain('--username');
  });

  it('finds nothing without a config file, and lets explicit credentials win', async () => {
    const dir = await tempDir();
    expect(await dockerConfigCredentials({ configDir: dir })('x.example')).toBeUndefined();
    const chained = chainCredentials(staticCredentials('u', 'p'), dockerConfigCredentials({ configDir: dir }));
    expect(await chained('x.example')).toEqual({ username: 'u', password: 'p', source: '--username/--password' });
  });
});
