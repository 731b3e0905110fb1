/**
 * A token server for distribution's token auth, so that Bearer challenges are tested against the real registry: it
 * checks Basic credentials and issues ES256 JWTs whose `x5c` header carries a self-signed certificate (made with
 * the openssl CLI) that the registry trusts through `rootcertbundle`. Every token request is recorded.
 * Reference: https://distribution.github.io/distribution/spec/auth/jwt/
 */
import { execFileSync } from 'node:child_process';
import { createPrivateKey, randomBytes, sign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

export const TOKEN_SERVICE = 'airbundle-test-registry';
export const TOKEN_ISSUER = 'airbundle-test-issuer';

/** TokenRequest is the record of one token request. */
export interface TokenRequest {
  authorized: boolean;
  service: string | null;
  scopes: string[];
}

/** TokenServer is a running token server. */
export interface TokenServer {
  realm: string;
  certFile: string;
  requests: TokenRequest[];
  stop(): Promise<void>;
}

/** startTokenServer writes a key and certificate into `dir` and serves tokens for `user`/`password`. */
export async function startTokenServer(dir: string, user: string, password: string): Promise<TokenServer> {
  const keyFile = join(dir, 'token-key.pem');
  const certFile = join(dir, 'token-cert.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', keyFile, '-out', certFile, '-days', '2', '-subj', '/CN=airbundle-test-token'], {
    stdio: 'ignore',
  });
  const key = createPrivateKey(readFileSync(keyFile));
  const certDer = readFileSync(certFile, 'utf8').replace(/-----[^-]+-----/g, '').replace(/\s+/g, '');
  const requests: TokenRequest[] = [];
  const expected = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://token');
    const auth = req.headers.authorization;
    const scopes = url.searchParams.getAll('scope');
    if (auth !== undefined && auth !== expected) {
      requests.push({ authorized: false, service: url.searchParams.get('service'), scopes });
      res.writeHead(401, { 'content-type': 'application/json' });
      res.end('{"details":"incorrect username or password"}');
      return;
    }
    const authorized = auth === expected;
    requests.push({ authorized, service: url.searchParams.get('service'), scopes });
    const access = authorized
      ? scopes.flatMap((s) => {
          const [type, ...rest] = s.split(':');
          const actions = rest.pop() ?? '';
          return [{ type, name: rest.join(':'), actions: actions.split(',') }];
        })
      : [];
    const now = Math.floor(Date.now() / 1000);
    const header = { typ: 'JWT', alg: 'ES256', x5c: [certDer] };
    const claims = { iss: TOKEN_ISSUER, sub: authorized ? user : '', aud: TOKEN_SERVICE, exp: now + 300, nbf: now - 10, iat: now, jti: randomBytes(8).toString('hex'), access };
    const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
    const signature = sign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' });
    const token = `${input}.${b64url(signature)}`;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ token, access_token: token, expires_in: 300, issued_at: new Date().toISOString() }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    realm: `http://127.0.0.1:${port}/token`,
    certFile,
    requests,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function b64url(data: string | Buffer): string {
  return Buffer.from(data).toString('base64url');
}
