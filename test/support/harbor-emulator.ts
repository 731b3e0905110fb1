import { createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * HarborEmulator stands in front of a real registry (distribution) and adds what Harbor adds for a push: the
 * projects REST API (`/api/v2.0/systeminfo`, `HEAD /api/v2.0/projects?project_name=`, `POST /api/v2.0/projects`
 * with Basic auth) and the rule that a repository's first path component must be an existing project
 * (otherwise `404 {"errors":[{"code":"NOT_FOUND","message":"project X not found"}]}`). Everything under `/v2/`
 * in an existing project is proxied to the registry unchanged.
 */
export interface HarborEmulator {
  host: string;
  projects: Set<string>;
  /** Requests to the projects API, for assertions. */
  apiCalls: string[];
  stop(): Promise<void>;
}

export async function startHarborEmulator(registryHost: string, admin: { user: string; password: string }): Promise<HarborEmulator> {
  const projects = new Set(['library']);
  const apiCalls: string[] = [];
  const [targetHost, targetPort] = registryHost.split(':') as [string, string];
  const json = (res: ServerResponse, status: number, body: unknown): void => {
    const data = Buffer.from(JSON.stringify(body));
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': String(data.length) });
    res.end(data);
  };
  const authorized = (req: IncomingMessage): boolean => req.headers.authorization === `Basic ${Buffer.from(`${admin.user}:${admin.password}`).toString('base64')}`;

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname.startsWith('/api/v2.0/')) {
      apiCalls.push(`${req.method} ${url.pathname}${url.search}`);
      if (url.pathname === '/api/v2.0/systeminfo') return json(res, 200, { harbor_version: 'v2.11.0-emulated', auth_mode: 'db_auth' });
      if (url.pathname === '/api/v2.0/projects' && req.method === 'HEAD') {
        res.writeHead(projects.has(url.searchParams.get('project_name') ?? '') ? 200 : 404);
        res.end();
        return;
      }
      if (url.pathname === '/api/v2.0/projects' && req.method === 'POST') {
        if (!authorized(req)) return json(res, 401, { errors: [{ code: 'UNAUTHORIZED', message: 'unauthorized' }] });
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { project_name?: string };
          const name = body.project_name ?? '';
          if (!/^[a-z0-9][a-z0-9._-]*$/.test(name)) return json(res, 400, { errors: [{ code: 'BAD_REQUEST', message: 'invalid project name' }] });
          if (projects.has(name)) return json(res, 409, { errors: [{ code: 'CONFLICT', message: `The project named ${name} already exists` }] });
          projects.add(name);
          res.writeHead(201, { location: `/api/v2.0/projects/${projects.size}` });
          res.end();
        });
        return;
      }
      return json(res, 404, { errors: [{ code: 'NOT_FOUND', message: 'not found' }] });
    }
    const m = /^\/v2\/([^/]+)\/.+/.exec(url.pathname);
    if (m !== null && url.pathname !== '/v2/_catalog' && !projects.has(m[1]!)) {
      req.resume();
      return json(res, 404, { errors: [{ code: 'NOT_FOUND', message: `project ${m[1]} not found: project ${m[1]} not found` }] });
    }
    const upstream = request({ host: targetHost, port: Number(targetPort), method: req.method, path: req.url, headers: req.headers }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    host: `127.0.0.1:${port}`,
    projects,
    apiCalls,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
