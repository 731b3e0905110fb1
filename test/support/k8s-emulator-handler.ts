/**
 * A Kubernetes API server emulator as a pure request → response handler over an in-memory object store (no I/O;
 * k8s-emulator-server.ts binds it to a socket). It implements what airbundle calls, faithfully to the API
 * conventions (https://kubernetes.io/docs/reference/using-api/api-concepts/, v1.31): discovery; GET / list with
 * label selectors / POST / DELETE; server-side apply PATCH with managed fields and conflicts
 * (k8s-emulator-ssa.ts); `Status` error bodies; bearer-token authentication and an RBAC knob; validation
 * (k8s-emulator-validate.ts); resourceVersion and generation that move only on real changes; and a readiness
 * simulator standing in for controllers (k8s-emulator-status.ts). Exec upgrades are checked here and run by the
 * server shell.
 */
import { apiGroupList, apiResourceList, BUILTIN_RESOURCES, groupVersion, resourcesFromCrd, type ResourceDef } from './k8s-emulator-resources.js';
import { conflictResponse, json, parseBody, resourceName, selectorMatcher, specChanged, statusResponse, type EmulatorRequest, type EmulatorResponse } from './k8s-emulator-responses.js';
import { clone, deepEqual, getAt, isObj, recordUpdate, serverSideApply, type Obj } from './k8s-emulator-ssa.js';
import { simulate, type Behavior } from './k8s-emulator-status.js';
import { validate, type Cause } from './k8s-emulator-validate.js';

export type { Behavior } from './k8s-emulator-status.js';
export type { EmulatorRequest, EmulatorResponse } from './k8s-emulator-responses.js';

/** ExecTarget is a checked exec request, for the shell to run. */
export interface ExecTarget {
  namespace: string;
  pod: string;
  container: string;
  command: string[];
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  tty: boolean;
}

/** DenyRule makes matching requests fail with 403 (absent fields match anything). */
export interface DenyRule {
  verb?: string;
  /** Plural resource, with `/subresource` for one: `deployments`, `pods/exec`. */
  resource?: string;
  namespace?: string;
}

/** K8sEmulatorOptions configure the emulator. */
export interface K8sEmulatorOptions {
  /** The bearer token clients must send. Default `airbundle-test-token`. */
  token?: string;
  /** The user named in 403 messages. */
  user?: string;
  /** Reads of an object (GETs) before it turns ready; 0 (the default) means ready as soon as it is written. */
  readyAfterReads?: number;
  /** Nodes DaemonSets are scheduled to. Default 2. */
  nodes?: number;
  /** Clock. Default the system clock. */
  now?: () => Date;
}

interface Target {
  def: ResourceDef;
  namespace: string | undefined;
  name: string | undefined;
  sub: string | undefined;
}

/** K8sEmulator is the handler and its store; see the file comment. */
export class K8sEmulator {
  readonly token: string;
  /** Every request, as `METHOD /path?query`, for assertions. */
  readonly log: string[] = [];
  readonly #user: string;
  readonly #readyAfterReads: number;
  readonly #nodes: number;
  readonly #now: () => Date;
  readonly #resources: ResourceDef[] = [...BUILTIN_RESOURCES];
  readonly #store = new Map<string, Obj>();
  readonly #reads = new Map<string, number>();
  readonly #behaviors = new Map<string, Behavior>();
  readonly #simPods = new Set<string>();
  readonly #deny: DenyRule[] = [];
  #rv = 1000;
  #uid = 0;

  constructor(options: K8sEmulatorOptions = {}) {
    this.token = options.token ?? 'airbundle-test-token';
    this.#user = options.user ?? 'system:serviceaccount:airbundle:deployer';
    this.#readyAfterReads = options.readyAfterReads ?? 0;
    this.#nodes = options.nodes ?? 2;
    this.#now = options.now ?? (() => new Date());
    for (const ns of ['default', 'kube-system', 'kube-public']) this.#write(this.#key(this.#def('', 'namespaces')!, undefined, ns), this.#fresh({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } }));
  }

  // ---- knobs for tests ----

  /** setBehavior says how one object comes up (ready after N reads, never, or failing). */
  setBehavior(kind: string, namespace: string | undefined, name: string, behavior: Behavior): void {
    this.#behaviors.set(`${kind}|${namespace ?? ''}|${name}`, behavior);
    const def = this.#resources.find((d) => d.kind === kind);
    if (def !== undefined && this.#store.has(this.#key(def, namespace, name))) this.#simulate(this.#key(def, namespace, name));
  }

  /** deny makes matching requests fail with 403 Forbidden. */
  deny(rule: DenyRule): void {
    this.#deny.push(rule);
  }

  /** allowAll drops every deny rule. */
  allowAll(): void {
    this.#deny.length = 0;
  }

  /** object returns a copy of a stored object, or undefined. */
  object(apiVersion: string, kind: string, namespace: string | undefined, name: string): Obj | undefined {
    const def = this.#resources.find((d) => groupVersion(d) === apiVersion && d.kind === kind);
    const obj = def === undefined ? undefined : this.#store.get(this.#key(def, namespace, name));
    return obj === undefined ? undefined : clone(obj);
  }

  /** applyAs sends a server-side apply as another field manager (another tool owning fields). */
  applyAs(manager: string, obj: Obj, options: { force?: boolean } = {}): EmulatorResponse {
    const apiVersion = String(obj['apiVersion']);
    const def = this.#resources.find((d) => groupVersion(d) === apiVersion && d.kind === obj['kind']);
    if (def === undefined) throw new Error(`emulator: no resource for ${apiVersion} ${String(obj['kind'])}`);
    const ns = def.namespaced ? String(getAt(obj, ['metadata', 'namespace']) ?? 'default') : undefined;
    const path = `${def.group === '' ? '/api' : '/apis'}/${groupVersion(def)}${ns === undefined ? '' : `/namespaces/${ns}`}/${def.plural}/${String(getAt(obj, ['metadata', 'name']))}`;
    const query = new URLSearchParams({ fieldManager: manager, ...(options.force === true ? { force: 'true' } : {}) });
    return this.handle({ method: 'PATCH', path, query, headers: { authorization: `Bearer ${this.token}`, 'content-type': 'application/apply-patch+yaml' }, body: JSON.stringify(obj) });
  }

  // ---- the handler ----

  /** handle answers one REST request. */
  handle(req: EmulatorRequest): EmulatorResponse {
    const method = req.method.toUpperCase();
    const query = req.query ?? new URLSearchParams();
    const headers = req.headers ?? {};
    this.log.push(`${method} ${req.path}${query.size > 0 ? `?${query.toString()}` : ''}`);
    if (headers['authorization'] !== `Bearer ${this.token}`) return statusResponse(401, 'Unauthorized');
    const discovery = this.#discovery(req.path);
    if (discovery !== undefined) return method === 'GET' ? json(200, discovery) : statusResponse(405, `the server does not allow this method on the requested resource`);
    const target = this.#target(req.path);
    if (target === undefined) return statusResponse(404, 'the server could not find the requested resource', undefined, 'NotFound');
    if (target.sub !== undefined) {
      if (target.def.plural === 'pods' && target.sub === 'exec') return statusResponse(400, 'Upgrade request required');
      return statusResponse(404, 'the server could not find the requested resource', undefined, 'NotFound');
    }
    const verb = method === 'GET' ? (target.name === undefined ? 'list' : 'get') : ({ POST: 'create', PATCH: 'patch', DELETE: 'delete', PUT: 'update' } as Record<string, string>)[method] ?? method.toLowerCase();
    const denied = this.#denied(verb, target, target.def.plural);
    if (denied !== undefined) return denied;
    const body = req.body === undefined ? '' : req.body.toString();
    if (method === 'GET' && target.name === undefined) return this.#list(target, query.get('labelSelector') ?? undefined);
    if (method === 'GET') return this.#get(target);
    if (method === 'POST' && target.name === undefined) return this.#create(target, body, query);
    if (method === 'PATCH' && target.name !== undefined) return this.#apply(target, body, query, headers['content-type'] ?? '');
    if (method === 'DELETE' && target.name !== undefined) return this.#delete(target);
    return statusResponse(405, `the server does not allow this method on the requested resource`);
  }

  /** resolveExec checks an exec upgrade request; the server shell runs the target or sends the response. */
  resolveExec(req: EmulatorRequest): { response: EmulatorResponse } | { target: ExecTarget } {
    const query = req.query ?? new URLSearchParams();
    this.log.push(`${req.method.toUpperCase()} ${req.path}?${query.toString()}`);
    if ((req.headers ?? {})['authorization'] !== `Bearer ${this.token}`) return { response: statusResponse(401, 'Unauthorized') };
    const m = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)\/exec$/.exec(req.path);
    if (m === null) return { response: statusResponse(404, 'the server could not find the requested resource') };
    const [namespace, pod] = [decodeURIComponent(m[1]!), decodeURIComponent(m[2]!)];
    const def = this.#def('', 'pods')!;
    const denied = this.#denied('create', { def, namespace, name: pod, sub: 'exec' }, 'pods/exec');
    if (denied !== undefined) return { response: denied };
    const obj = this.#store.get(this.#key(def, namespace, pod));
    if (obj === undefined) return { response: statusResponse(404, `pods "${pod}" not found`, { name: pod, kind: 'pods' }) };
    const containers = (getAt(obj, ['spec', 'containers']) as unknown[]).filter(isObj).map((c) => String(c['name']));
    let container = query.get('container') ?? '';
    if (container === '') {
      if (containers.length !== 1) return { response: statusResponse(400, `a container name must be specified for pod ${pod}, choose one of: [${containers.join(' ')}]`) };
      container = containers[0]!;
    }
    if (!containers.includes(container)) return { response: statusResponse(400, `container ${container} is not valid for pod ${pod}`) };
    if (getAt(obj, ['status', 'phase']) !== 'Running') return { response: statusResponse(400, `unable to upgrade connection: container not found ("${container}")`) };
    const command = query.getAll('command');
    if (command.length === 0) return { response: statusResponse(400, 'you must specify at least one command for the container') };
    const flag = (name: string): boolean => query.get(name) === 'true' || query.get(name) === '1';
    return { target: { namespace, pod, container, command, stdin: flag('stdin'), stdout: flag('stdout'), stderr: flag('stderr'), tty: flag('tty') } };
  }

  // ---- verbs ----

  #get(t: Target): EmulatorResponse {
    const key = this.#key(t.def, t.namespace, t.name!);
    if (!this.#store.has(key)) return this.#notFound(t);
    this.#reads.set(key, (this.#reads.get(key) ?? 0) + 1);
    this.#simulate(key);
    return json(200, this.#store.get(key));
  }

  #list(t: Target, labelSelector: string | undefined): EmulatorResponse {
    const match = labelSelector === undefined ? () => true : selectorMatcher(labelSelector);
    if (match === undefined) return statusResponse(400, `unable to parse requirement: ${labelSelector}`);
    const prefix = `${t.def.group}|${t.def.plural}|${t.namespace ?? ''}`;
    const items = [...this.#store.entries()]
      .filter(([k]) => (t.namespace === undefined ? k.startsWith(`${t.def.group}|${t.def.plural}|`) : k.startsWith(`${prefix}|`)))
      .map(([, o]) => o)
      .filter((o) => match(isObj(getAt(o, ['metadata', 'labels'])) ? (getAt(o, ['metadata', 'labels']) as Obj) : {}))
      .map((o) => {
        // Items of a typed list carry no apiVersion / kind.
        const { apiVersion: _a, kind: _k, ...rest } = o;
        return rest;
      });
    return json(200, { kind: `${t.def.kind}List`, apiVersion: groupVersion(t.def), metadata: { resourceVersion: String(this.#rv) }, items });
  }

  #create(t: Target, body: string, query: URLSearchParams): EmulatorResponse {
    const parsed = parseBody(body);
    if (typeof parsed === 'string') return statusResponse(400, parsed);
    const mismatch = this.#checkBody(t, parsed);
    if (mismatch !== undefined) return mismatch;
    const name = String(getAt(parsed, ['metadata', 'name']) ?? '');
    const missingNs = this.#missingNamespace(t);
    if (missingNs !== undefined) return missingNs;
    const key = this.#key(t.def, t.namespace, name);
    if (this.#store.has(key)) return statusResponse(409, `${resourceName(t.def)} "${name}" already exists`, { name, group: t.def.group, kind: t.def.plural }, 'AlreadyExists');
    const causes = validate(parsed);
    if (causes.length > 0) return this.#invalid(t.def, name, causes);
    const obj = this.#fresh(parsed);
    recordUpdate(obj, query.get('fieldManager') ?? 'unknown', this.#timestamp());
    if (query.get('dryRun') === 'All') return json(201, obj);
    this.#write(key, obj);
    return json(201, this.#store.get(key));
  }

  #apply(t: Target, body: string, query: URLSearchParams, contentType: string): EmulatorResponse {
    if (contentType.split(';')[0]!.trim() !== 'application/apply-patch+yaml') {
      return statusResponse(415, `the body of the request was in an unknown format - accepted media types include: application/apply-patch+yaml (this emulator serves server-side apply only)`);
    }
    const manager = query.get('fieldManager') ?? '';
    if (manager === '') return statusResponse(422, 'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch', { group: 'meta.k8s.io', kind: 'PatchOptions', causes: [{ reason: 'FieldValueRequired', message: 'Required value: is required for apply patch', field: 'fieldManager' }] });
    const parsed = parseBody(body);
    if (typeof parsed === 'string') return statusResponse(400, parsed);
    const mismatch = this.#checkBody(t, parsed);
    if (mismatch !== undefined) return mismatch;
    const missingNs = this.#missingNamespace(t);
    if (missingNs !== undefined) return missingNs;
    const key = this.#key(t.def, t.namespace, t.name!);
    const existing = this.#store.get(key);
    const { status: _ignored, ...applied } = parsed; // apply to the main resource never sets status
    const outcome = serverSideApply({ existing, applied, manager, force: query.get('force') === 'true', now: this.#timestamp() });
    if (outcome.kind === 'conflict') return conflictResponse(t.def, t.name, outcome.conflicts);
    const causes = validate(outcome.object, existing);
    if (causes.length > 0) return this.#invalid(t.def, t.name!, causes);
    const dryRun = query.get('dryRun') === 'All';
    if (!outcome.changed) return json(200, existing);
    let obj = outcome.object;
    if (existing === undefined) {
      obj = this.#fresh(obj, dryRun);
    } else {
      const meta = obj['metadata'] as Obj;
      if (specChanged(existing, obj)) meta['generation'] = Number(getAt(existing, ['metadata', 'generation']) ?? 1) + 1;
      if (!dryRun) meta['resourceVersion'] = String(++this.#rv);
    }
    if (dryRun) return json(existing === undefined ? 201 : 200, obj);
    if (existing !== undefined && getAt(obj, ['metadata', 'generation']) !== getAt(existing, ['metadata', 'generation'])) this.#reads.set(key, 0);
    this.#write(key, obj);
    return json(existing === undefined ? 201 : 200, this.#store.get(key));
  }

  #delete(t: Target): EmulatorResponse {
    const key = this.#key(t.def, t.namespace, t.name!);
    const obj = this.#store.get(key);
    if (obj === undefined) return this.#notFound(t);
    this.#remove(key);
    return json(200, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details: { name: t.name, group: t.def.group, kind: t.def.plural, uid: getAt(obj, ['metadata', 'uid']) } });
  }

  // ---- store ----

  #write(key: string, obj: Obj): void {
    this.#store.set(key, obj);
    if (obj['kind'] === 'CustomResourceDefinition') this.#registerCrd(obj);
    this.#simulate(key);
  }

  #remove(key: string): void {
    const obj = this.#store.get(key);
    if (obj === undefined) return;
    this.#store.delete(key);
    this.#reads.delete(key);
    this.#simPods.delete(key);
    const uid = getAt(obj, ['metadata', 'uid']);
    const name = String(getAt(obj, ['metadata', 'name']));
    for (const [k, o] of [...this.#store.entries()]) {
      const owners = getAt(o, ['metadata', 'ownerReferences']);
      const owned = Array.isArray(owners) && owners.some((r) => isObj(r) && r['uid'] === uid);
      const inNamespace = obj['kind'] === 'Namespace' && getAt(o, ['metadata', 'namespace']) === name;
      if (owned || inNamespace) this.#remove(k);
    }
    if (obj['kind'] === 'CustomResourceDefinition') {
      const gone = resourcesFromCrd(obj);
      for (let i = this.#resources.length - 1; i >= 0; i--) {
        const d = this.#resources[i]!;
        if (gone.some((g) => g.group === d.group && g.plural === d.plural)) this.#resources.splice(i, 1);
      }
    }
  }

  #registerCrd(crd: Obj): void {
    for (const def of resourcesFromCrd(crd)) {
      const i = this.#resources.findIndex((d) => d.group === def.group && d.version === def.version && d.plural === def.plural);
      if (i >= 0) this.#resources[i] = def;
      else this.#resources.push(def);
    }
  }

  /** #fresh stamps a new object's server-set metadata. */
  #fresh(obj: Obj, dryRun = false): Obj {
    const out = clone(obj);
    delete out['status'];
    const meta = (isObj(out['metadata']) ? out['metadata'] : (out['metadata'] = {})) as Obj;
    meta['uid'] = `00000000-0000-4000-8000-${(++this.#uid).toString(16).padStart(12, '0')}`;
    meta['creationTimestamp'] = this.#timestamp();
    meta['generation'] = 1;
    if (!dryRun) meta['resourceVersion'] = String(++this.#rv);
    return out;
  }

  /** #simulate runs the readiness simulator on one object and stores what changed (bumping resourceVersion). */
  #simulate(key: string): void {
    const obj = this.#store.get(key);
    if (obj === undefined || this.#simPods.has(key)) return;
    const kind = String(obj['kind']);
    const namespace = getAt(obj, ['metadata', 'namespace']) as string | undefined;
    const name = String(getAt(obj, ['metadata', 'name']));
    const behavior = this.#behaviors.get(`${kind}|${namespace ?? ''}|${name}`) ?? {};
    const ready = behavior.never !== true && behavior.fail === undefined && (this.#reads.get(key) ?? 0) >= (behavior.readyAfterReads ?? this.#readyAfterReads);
    const scName = getAt(obj, ['spec', 'storageClassName']);
    const storageClass = typeof scName === 'string' ? this.#store.get(this.#key(this.#def('storage.k8s.io', 'storageclasses')!, undefined, scName)) : undefined;
    // Status times are the creation time, so re-simulating an unchanged object changes nothing.
    const out = simulate(obj, { ready, fail: behavior.fail, nodes: this.#nodes, storageClass, now: String(getAt(obj, ['metadata', 'creationTimestamp'])) });
    if (out.status !== undefined && !deepEqual(obj['status'], out.status)) {
      obj['status'] = out.status;
      (obj['metadata'] as Obj)['resourceVersion'] = String(++this.#rv);
    }
    const podDef = this.#def('', 'pods')!;
    for (const p of out.pods) {
      const podKey = this.#key(podDef, namespace, p.name);
      if (this.#store.has(podKey)) continue;
      const uid = String(getAt(obj, ['metadata', 'uid']));
      const labels = kind === 'Job' ? { ...p.labels, 'controller-uid': uid, 'batch.kubernetes.io/controller-uid': uid } : p.labels;
      const pod = this.#fresh({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: p.name, namespace, labels, ownerReferences: [{ apiVersion: obj['apiVersion'], kind, name, uid, controller: true }] },
        spec: { containers: [{ name: p.container, image: 'emulated' }] },
      });
      pod['status'] = p.status;
      this.#simPods.add(podKey);
      this.#store.set(podKey, pod);
    }
  }

  // ---- helpers ----

  #discovery(path: string): Obj | undefined {
    const p = path.replace(/\/+$/, '');
    if (p === '/version') return { major: '1', minor: '31', gitVersion: 'v1.31.0-airbundle-emulator', platform: 'linux/amd64' };
    if (p === '/api') return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: '127.0.0.1:6443' }] };
    if (p === '/api/v1') return apiResourceList(this.#resources, { group: '', version: 'v1' });
    if (p === '/apis') return apiGroupList(this.#resources);
    const m = /^\/apis\/([^/]+)\/([^/]+)$/.exec(p);
    if (m !== null && this.#resources.some((d) => d.group === m[1] && d.version === m[2])) return apiResourceList(this.#resources, { group: m[1]!, version: m[2]! });
    return undefined;
  }

  #target(path: string): Target | undefined {
    const m = /^\/(?:api\/(v1)|apis\/([^/]+)\/([^/]+))\/(.+)$/.exec(path);
    if (m === null) return undefined;
    const group = m[1] !== undefined ? '' : m[2]!;
    const version = m[1] ?? m[3]!;
    const seg = m[4]!.split('/').filter((s) => s !== '').map(decodeURIComponent);
    let namespace: string | undefined;
    if (seg[0] === 'namespaces' && seg.length >= 3) {
      namespace = seg[1];
      seg.splice(0, 2);
    }
    const [plural, name, sub] = seg;
    const def = this.#resources.find((d) => d.group === group && d.version === version && d.plural === plural);
    if (def === undefined || seg.length > 3) return undefined;
    if (!def.namespaced && namespace !== undefined) return undefined;
    if (def.namespaced && namespace === undefined && name !== undefined) return undefined;
    return { def, namespace, name, sub };
  }

  #def(group: string, plural: string): ResourceDef | undefined {
    return this.#resources.find((d) => d.group === group && d.plural === plural);
  }

  #key(def: ResourceDef, namespace: string | undefined, name: string): string {
    return `${def.group}|${def.plural}|${def.namespaced ? (namespace ?? '') : ''}|${name}`;
  }

  #denied(verb: string, t: Target, resource: string): EmulatorResponse | undefined {
    const hit = this.#deny.some((r) => (r.verb === undefined || r.verb === verb) && (r.resource === undefined || r.resource === resource) && (r.namespace === undefined || r.namespace === t.namespace));
    if (!hit) return undefined;
    const subject = t.name === undefined ? resourceName(t.def) : `${resourceName(t.def)} "${t.name}"`;
    const scope = t.namespace === undefined ? 'at the cluster scope' : `in the namespace "${t.namespace}"`;
    return statusResponse(403, `${subject} is forbidden: User "${this.#user}" cannot ${verb} resource "${resource}" in API group "${t.def.group}" ${scope}`, {
      ...(t.name === undefined ? {} : { name: t.name }),
      group: t.def.group,
      kind: t.def.plural,
    });
  }

  #checkBody(t: Target, obj: Obj): EmulatorResponse | undefined {
    const gv = groupVersion(t.def);
    if (obj['apiVersion'] !== gv) return statusResponse(400, `the API version in the data (${String(obj['apiVersion'])}) does not match the expected API version (${gv})`);
    if (obj['kind'] !== t.def.kind) return statusResponse(400, `the kind in the data (${String(obj['kind'])}) does not match the expected kind (${t.def.kind})`);
    const meta = isObj(obj['metadata']) ? obj['metadata'] : (obj['metadata'] = {});
    if (t.name !== undefined) {
      if (meta['name'] === undefined) meta['name'] = t.name;
      else if (meta['name'] !== t.name) return statusResponse(400, `the name of the object (${String(meta['name'])}) does not match the name on the URL (${t.name})`);
    }
    if (t.def.namespaced) {
      if (meta['namespace'] === undefined) meta['namespace'] = t.namespace;
      else if (meta['namespace'] !== t.namespace) return statusResponse(400, 'the namespace of the provided object does not match the namespace sent on the request');
    }
    return undefined;
  }

  #missingNamespace(t: Target): EmulatorResponse | undefined {
    if (!t.def.namespaced || t.namespace === undefined) return undefined;
    if (this.#store.has(this.#key(this.#def('', 'namespaces')!, undefined, t.namespace))) return undefined;
    return statusResponse(404, `namespaces "${t.namespace}" not found`, { name: t.namespace, kind: 'namespaces' });
  }

  #notFound(t: Target): EmulatorResponse {
    return statusResponse(404, `${resourceName(t.def)} "${t.name}" not found`, { name: t.name, group: t.def.group, kind: t.def.plural });
  }

  #invalid(def: ResourceDef, name: string, causes: Cause[]): EmulatorResponse {
    const list = causes.map((c) => `${c.field}: ${c.message}`);
    const kind = def.group === '' ? def.kind : `${def.kind}.${def.group}`;
    return statusResponse(422, `${kind} "${name}" is invalid: ${list.length === 1 ? list[0] : `[${list.join(', ')}]`}`, { name, group: def.group, kind: def.kind, causes });
  }

  #timestamp(): string {
    return this.#now().toISOString().replace(/\.\d{3}Z$/, 'Z');
  }
}

