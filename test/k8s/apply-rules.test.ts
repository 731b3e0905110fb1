import { ApiException } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { toClusterError, type ApiCallContext } from '../../src/k8s/api-error.js';
import { applyAction } from '../../src/k8s/apply-outcome.js';
import { sortForApply } from '../../src/k8s/apply-order.js';
import type { KubeObject } from '../../src/k8s/object.js';

const o = (kind: string, name = 'x', extra: Record<string, unknown> = {}, meta: Record<string, unknown> = {}): KubeObject => ({ apiVersion: 'v1', kind, metadata: { name, ...meta }, ...extra });

describe('sortForApply', () => {
  it('puts what others depend on first and keeps input order within a kind', () => {
    const sorted = sortForApply([o('InferenceService'), o('Deployment', 'b'), o('Service'), o('Deployment', 'a'), o('PersistentVolumeClaim'), o('Secret'), o('CustomResourceDefinition'), o('ServiceAccount'), o('Namespace')]);
    expect(sorted.map((x) => `${x.kind}/${x.metadata.name}`)).toEqual([
      'Namespace/x',
      'CustomResourceDefinition/x',
      'ServiceAccount/x',
      'Secret/x',
      'PersistentVolumeClaim/x',
      'Service/x',
      'Deployment/b',
      'Deployment/a',
      'InferenceService/x',
    ]);
  });
});

describe('applyAction', () => {
  const before = o('ConfigMap', 'c', { data: { a: '1' } }, { resourceVersion: '5', managedFields: [] });
  it('created when there was nothing before', () => {
    expect(applyAction(undefined, before, false)).toBe('created');
  });
  it('compares resourceVersion for a real apply', () => {
    expect(applyAction(before, { ...before }, false)).toBe('unchanged');
    expect(applyAction(before, { ...before, metadata: { ...before.metadata, resourceVersion: '6' } }, false)).toBe('configured');
  });
  it('compares content, ignoring server-kept fields, for a dry run', () => {
    expect(applyAction(before, { ...before, metadata: { ...before.metadata, managedFields: [{ manager: 'x' }] }, status: { x: 1 } }, true)).toBe('unchanged');
    expect(applyAction(before, { ...before, data: { a: '2' } }, true)).toBe('configured');
  });
});

describe('toClusterError', () => {
  const ctx: ApiCallContext = { server: 'https://k8s.example:6443', context: 'prod', verb: 'patch', ref: { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'ml', name: 'vllm' } };
  const status = (code: number, reason: string, message: string, details?: unknown): ApiException<string> =>
    new ApiException(code, 'Unsuccessful HTTP Request', JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', code, reason, message, details }), {});

  it('names every manager and field of an apply conflict', () => {
    const err = toClusterError(
      status(409, 'Conflict', 'Apply failed with 2 conflicts: ...', {
        causes: [
          { reason: 'FieldManagerConflict', message: 'conflict with "kubectl-edit" using apps/v1', field: '.spec.replicas' },
          { reason: 'FieldManagerConflict', message: 'conflict with "helm" using apps/v1', field: '.spec.template.spec.containers' },
        ],
      }),
      ctx,
    );
    expect(err.code).toBe('K8S_CONFLICT');
    expect(err.message).toBe('Deployment ml/vllm: field manager "kubectl-edit", "helm" owns .spec.replicas, .spec.template.spec.containers with a different value');
  });

  it('maps 401, 422, 500 and socket errors', () => {
    expect(toClusterError(status(401, 'Unauthorized', 'Unauthorized'), ctx).code).toBe('K8S_AUTH');
    const invalid = toClusterError(status(422, 'Invalid', 'Deployment.apps "vllm" is invalid: spec.replicas: Invalid value: -1'), ctx);
    expect([invalid.code, invalid.message]).toEqual(['K8S_INVALID', 'patch Deployment ml/vllm: the API server rejected it: Deployment.apps "vllm" is invalid: spec.replicas: Invalid value: -1']);
    expect(toClusterError(status(500, 'InternalError', 'etcdserver: request timed out'), ctx).message).toContain('HTTP 500: etcdserver: request timed out');
    const tls = toClusterError(Object.assign(new Error('self-signed certificate'), { code: 'DEPTH_ZERO_SELF_SIGNED_CERT' }), ctx);
    expect([tls.code, tls.hint]).toEqual(['K8S_UNREACHABLE', expect.stringContaining('certificate-authority')]);
  });
});
