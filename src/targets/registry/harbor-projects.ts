import { AirbundleError } from '../../errors.js';
import { dockerConfigCredentials, type CredentialProvider } from '../../oci/credentials.js';
import { HttpClient, type HttpClientOptions, type HttpResponse } from '../../oci/http-client.js';
import type { ProgressSink } from '../../progress/events.js';

/** HarborOptions: how to reach the registry and who to be. */
export interface HarborOptions extends HttpClientOptions {
  username?: string;
  password?: string;
  credentials?: CredentialProvider | false;
  onEvent?: ProgressSink;
}

/**
 * ensureHarborProjects creates, on a Harbor registry, the projects (first path component of each repository)
 * that do not exist yet, since Harbor refuses pushes into a missing project. On any other registry it does
 * nothing. Returns the projects it created.
 * Reference: Harbor REST API v2.0, `HEAD /api/v2.0/projects?project_name=`, `POST /api/v2.0/projects`.
 */
export async function ensureHarborProjects(host: string, repositories: string[], options: HarborOptions = {}): Promise<string[]> {
  const http = new HttpClient(options);
  const base = `${options.plainHttp === true ? 'http' : 'https'}://${host}`;
  const info = await http.send({ method: 'GET', url: new URL('/api/v2.0/systeminfo', base) });
  const isHarbor = info.status === 200 && /harbor_version/.test(await info.text());
  if (info.status !== 200) info.discard();
  if (!isHarbor) return [];

  const auth = await authorization(host, options);
  const created: string[] = [];
  for (const project of [...new Set(repositories.map((r) => r.split('/')[0]!))].sort()) {
    const head = await http.send({ method: 'HEAD', url: new URL(`/api/v2.0/projects?project_name=${encodeURIComponent(project)}`, base), headers: auth });
    head.discard();
    if (head.status === 200) continue;
    if (head.status !== 404) throw await harborError(head, host, project, 'checking for');
    const body = Buffer.from(JSON.stringify({ project_name: project, metadata: { public: 'false' } }));
    const res = await http.send({
      method: 'POST',
      url: new URL('/api/v2.0/projects', base),
      headers: { ...auth, 'content-type': 'application/json' },
      body,
    });
    if (res.status === 201 || res.status === 409) {
      res.discard();
      if (res.status === 201) {
        created.push(project);
        options.onEvent?.({ type: 'info', phase: 'push', message: `created Harbor project ${project} on ${host}` });
      }
      continue;
    }
    throw await harborError(res, host, project, 'creating');
  }
  return created;
}

async function authorization(host: string, options: HarborOptions): Promise<Record<string, string>> {
  let user = options.username;
  let pass = options.password;
  if (user === undefined && options.credentials !== false) {
    const cred = await (options.credentials ?? dockerConfigCredentials())(host);
    user = cred?.username;
    pass = cred?.password;
  }
  return user !== undefined && pass !== undefined ? { authorization: `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}` } : {};
}

async function harborError(res: HttpResponse, host: string, project: string, doing: string): Promise<AirbundleError> {
  const text = await res.text();
  if (res.status === 401 || res.status === 403) {
    return new AirbundleError(res.status === 401 ? 'REGISTRY_AUTH' : 'REGISTRY_DENIED', `Harbor ${host} refused ${doing} project "${project}" (HTTP ${res.status})`, {
      hint: `give --username of a user allowed to create projects, or ask a Harbor admin to create "${project}"`,
    });
  }
  return new AirbundleError('REGISTRY_ERROR', `Harbor ${host}: ${doing} project "${project}" failed with HTTP ${res.status}: ${text.slice(0, 300)}`);
}
