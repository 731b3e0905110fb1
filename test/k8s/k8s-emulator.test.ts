import { describe, expect, it } from 'vitest';
import { K8sEmulator, selectorMatcher, type EmulatorRequest } from '../support/k8s-emulator.js';
import { decodeFields, encodeFields, serverSideApply } from '../support/k8s-emulator-ssa.js';
import { mapMounts } from '../support/k8s-emulator-exec.js';

const auth = { authorization: 'Bearer airbundle-test-token' };
const req = (method: string, path: string, extra: Partial<EmulatorRequest> = {}): EmulatorRequest => ({ method, path, headers: auth, ...extra });
const apply = (e: K8sEmulator, path: string, body: unknown, query: Record<string, string> = { fieldManager: 'airbundle' }) =>
  e.handle(req('PATCH', path, { query: new URLSearchParams(query), headers: { ...auth, 'content-type': 'application/apply-patch+yaml' }, body: JSON.stringify(body) }));
const parse = (body: string): unknown => JSON.parse(body);
/** pick walks a parsed JSON body by keys and indexes. */
const pick = (v: unknown, ...path: (string | number)[]): unknown => path.reduce<unknown>((cur, k) => (typeof cur === 'object' && cur !== null ? (cur as Record<string | number, unknown>)[k] : undefined), v);
const names = (v: unknown, key: string): unknown[] => (Array.isArray(v) ? v.map((x) => pick(x, ...key.split('.'))) : []);

const cm = (data: Record<string, string>) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'default' }, data });
const CM_PATH = '/api/v1/namespaces/default/configmaps/c';

describe('K8sEmulator (pure handler)', () => {
  it('answers 401 with a Status without the bearer token', () => {
    const res = new K8sEmulator().handle({ method: 'GET', path: '/api/v1' });
    expect(res.status).toBe(401);
    expect(parse(res.body)).toMatchObject({ kind: 'Status', status: 'Failure', reason: 'Unauthorized', code: 401 });
  });

  it('serves discovery for core, apps/v1, batch/v1, KServe and OpenKruise', () => {
    const e = new K8sEmulator();
    const groups = names(pick(parse(e.handle(req('GET', '/apis')).body), 'groups'), 'name');
    expect(groups).toEqual(expect.arrayContaining(['apps', 'batch', 'serving.kserve.io', 'apps.kruise.io']));
    const apps = parse(e.handle(req('GET', '/apis/apps/v1')).body);
    expect(pick(apps, 'resources', 0)).toMatchObject({ name: 'deployments', kind: 'Deployment', namespaced: true });
    expect(pick(parse(e.handle(req('GET', '/apis/serving.kserve.io/v1beta1')).body), 'resources', 0)).toMatchObject({ name: 'inferenceservices', kind: 'InferenceService' });
    expect(e.handle(req('GET', '/apis/example.com/v1')).status).toBe(404);
  });

  it('moves resourceVersion only on a real change and answers 201 then 200', () => {
    const e = new K8sEmulator();
    const first = apply(e, CM_PATH, cm({ a: '1' }));
    expect(first.status).toBe(201);
    const again = apply(e, CM_PATH, cm({ a: '1' }));
    expect(again.status).toBe(200);
    const rv = (body: string): unknown => pick(parse(body), 'metadata', 'resourceVersion');
    expect(rv(again.body)).toBe(rv(first.body));
    const changed = apply(e, CM_PATH, cm({ a: '2' }));
    expect(Number(rv(changed.body))).toBeGreaterThan(Number(rv(first.body)));
  });

  it('answers a conflict with a 409 Status naming manager and field, and takes it over with force', () => {
    const e = new K8sEmulator();
    apply(e, CM_PATH, cm({ a: '1' }), { fieldManager: 'helm' });
    const res = apply(e, CM_PATH, cm({ a: '2' }));
    expect(res.status).toBe(409);
    expect(parse(res.body)).toMatchObject({
      kind: 'Status',
      status: 'Failure',
      reason: 'Conflict',
      code: 409,
      message: 'Apply failed with 1 conflict: conflict with "helm" using v1: .data.a',
      details: { causes: [{ reason: 'FieldManagerConflict', message: 'conflict with "helm" using v1', field: '.data.a' }] },
    });
    const forced = apply(e, CM_PATH, cm({ a: '2' }), { fieldManager: 'airbundle', force: 'true' });
    expect(forced.status).toBe(200);
    expect(names(pick(parse(forced.body), 'metadata', 'managedFields'), 'manager')).toEqual(['airbundle']);
  });

  it('lets managers share a field they agree on', () => {
    const e = new K8sEmulator();
    apply(e, CM_PATH, cm({ a: '1' }), { fieldManager: 'helm' });
    const res = apply(e, CM_PATH, cm({ a: '1' }));
    expect(res.status).toBe(200);
    expect(names(pick(parse(res.body), 'metadata', 'managedFields'), 'manager').sort()).toEqual(['airbundle', 'helm']);
  });

  it('answers 404 and 422 with Status bodies', () => {
    const e = new K8sEmulator();
    expect(parse(e.handle(req('GET', CM_PATH)).body)).toMatchObject({ reason: 'NotFound', message: 'configmaps "c" not found', details: { name: 'c', kind: 'configmaps' } });
    const bad = apply(e, '/api/v1/namespaces/default/configmaps/Bad_Name', { ...cm({}), metadata: { name: 'Bad_Name', namespace: 'default' } });
    expect(bad.status).toBe(422);
    expect(pick(parse(bad.body), 'message')).toMatch(/^ConfigMap "Bad_Name" is invalid: metadata.name: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain/);
  });

  it('refuses to change an immutable Job template (422)', () => {
    const e = new K8sEmulator();
    const job = (image: string) => ({ apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'j', namespace: 'default' }, spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image }] } } } });
    expect(apply(e, '/apis/batch/v1/namespaces/default/jobs/j', job('a')).status).toBe(201);
    const res = apply(e, '/apis/batch/v1/namespaces/default/jobs/j', job('b'));
    expect([res.status, pick(parse(res.body), 'message')]).toEqual([422, 'Job.batch "j" is invalid: spec.template: Invalid value: field is immutable']);
  });

  it('lists with label selectors, omitting apiVersion and kind from items', () => {
    const e = new K8sEmulator();
    apply(e, CM_PATH, { ...cm({}), metadata: { name: 'c', namespace: 'default', labels: { app: 'x' } } });
    apply(e, '/api/v1/namespaces/default/configmaps/d', { ...cm({}), metadata: { name: 'd', namespace: 'default', labels: { app: 'y' } } });
    const list = parse(e.handle(req('GET', '/api/v1/namespaces/default/configmaps', { query: new URLSearchParams({ labelSelector: 'app=x' }) })).body);
    expect(pick(list, 'kind')).toBe('ConfigMapList');
    expect(names(pick(list, 'items'), 'metadata.name')).toEqual(['c']);
    expect(pick(list, 'items', 0, 'kind')).toBeUndefined();
    expect(selectorMatcher('a in (b)')).toBeUndefined();
  });

  it('makes objects ready after the configured number of reads', () => {
    const e = new K8sEmulator({ readyAfterReads: 2 });
    const pvc = { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'p', namespace: 'default' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } };
    apply(e, '/api/v1/namespaces/default/persistentvolumeclaims/p', pvc);
    const phase = (): unknown => pick(parse(e.handle(req('GET', '/api/v1/namespaces/default/persistentvolumeclaims/p')).body), 'status', 'phase');
    expect([phase(), phase(), phase()]).toEqual(['Pending', 'Bound', 'Bound']);
  });

  it('checks exec requests: pod, container, phase, command', () => {
    const e = new K8sEmulator();
    apply(e, '/api/v1/namespaces/default/pods/p', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'default' }, spec: { containers: [{ name: 'c', image: 'i' }] } });
    const exec = (q: string) => e.resolveExec(req('GET', '/api/v1/namespaces/default/pods/p/exec', { query: new URLSearchParams(q) }));
    expect(exec('command=tar&command=-x&stdin=true&stdout=true')).toEqual({ target: { namespace: 'default', pod: 'p', container: 'c', command: ['tar', '-x'], stdin: true, stdout: true, stderr: false, tty: false } });
    expect(exec('command=ls&container=nope')).toMatchObject({ response: { status: 400 } });
    expect(exec('container=c')).toMatchObject({ response: { status: 400 } });
  });
});

describe('server-side apply (pure)', () => {
  it('round-trips FieldsV1', () => {
    const paths = [['metadata', 'labels', 'app.kubernetes.io/name'], ['spec', 'replicas'], ['data', 'a']];
    expect(encodeFields(paths)).toEqual({ 'f:metadata': { 'f:labels': { 'f:app.kubernetes.io/name': {} } }, 'f:spec': { 'f:replicas': {} }, 'f:data': { 'f:a': {} } });
    expect(decodeFields(encodeFields(paths))).toEqual(paths);
  });

  it('keeps a field another manager also owns when this one stops applying it', () => {
    const first = serverSideApply({ existing: undefined, applied: cm({ a: '1', b: '2' }), manager: 'x', force: false, now: 't' });
    if (first.kind !== 'ok') throw new Error('conflict');
    const shared = serverSideApply({ existing: first.object, applied: cm({ b: '2' }), manager: 'y', force: false, now: 't' });
    if (shared.kind !== 'ok') throw new Error('conflict');
    const dropped = serverSideApply({ existing: shared.object, applied: cm({}), manager: 'x', force: false, now: 't' });
    if (dropped.kind !== 'ok') throw new Error('conflict');
    expect(dropped.object['data']).toEqual({ b: '2' });
  });
});

describe('mapMounts', () => {
  it('rewrites pod paths at path boundaries, inside scripts too', () => {
    expect(mapMounts(['tar', '-x', '-C', '/models/llm', '/modelsx', 'sh -c "cd /models && ls"'], { '/models': '/tmp/v' })).toEqual(['tar', '-x', '-C', '/tmp/v/llm', '/modelsx', 'sh -c "cd /tmp/v && ls"']);
  });
});
