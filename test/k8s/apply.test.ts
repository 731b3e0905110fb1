import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../src/k8s/object.js';
import { expectCode } from '../support/matchers.js';
import { aConfigMap, aDeployment, aNamespace, useEmulatedCluster } from './fixture.js';

const emulated = useEmulatedCluster();

function managers(obj: Record<string, unknown> | undefined): { manager: string; operation: string; fields: string }[] {
  const mf = (obj?.['metadata'] as { managedFields?: { manager: string; operation: string; fieldsV1: unknown }[] }).managedFields ?? [];
  return mf.map((e) => ({ manager: e.manager, operation: e.operation, fields: JSON.stringify(e.fieldsV1) }));
}

describe('Cluster.apply', () => {
  describe('when the objects are new, then applied again unchanged', () => {
    it('says created, then unchanged without moving resourceVersion', async () => {
      const { cluster, running } = await emulated();
      const objects = [aNamespace(), aConfigMap(), aDeployment()];
      const first = await cluster.apply(objects);
      expect(first.map((r) => [r.ref.kind, r.action])).toEqual([
        ['Namespace', 'created'],
        ['ConfigMap', 'created'],
        ['Deployment', 'created'],
      ]);
      const second = await cluster.apply(objects);
      expect(second.map((r) => r.action)).toEqual(['unchanged', 'unchanged', 'unchanged']);
      for (const [i, r] of second.entries()) expect(r.object.metadata.resourceVersion).toBe(first[i]!.object.metadata.resourceVersion);
      expect(second[2]!.object.metadata.generation).toBe(1);
      // Server-side apply: PATCH with our field manager, never forced unless asked.
      const patches = running.emulator.log.filter((l) => l.startsWith('PATCH '));
      expect(patches).toHaveLength(6);
      for (const p of patches) {
        expect(p).toContain('fieldManager=airbundle');
        expect(p).not.toContain('force=');
      }
      expect(managers(running.emulator.object('apps/v1', 'Deployment', 'ml', 'web'))).toEqual([expect.objectContaining({ manager: 'airbundle', operation: 'Apply' })]);
    });
  });

  describe('when a field changes', () => {
    it('says configured; generation moves for spec changes only', async () => {
      const { cluster } = await emulated();
      await cluster.apply([aNamespace(), aDeployment('web', 'ml', { replicas: 1 })]);
      const scaled = await cluster.apply([aDeployment('web', 'ml', { replicas: 2 })]);
      expect(scaled[0]!.action).toBe('configured');
      expect(scaled[0]!.object.metadata.generation).toBe(2);
      const labelled = await cluster.apply([aDeployment('web', 'ml', { replicas: 2, labels: { team: 'ml' } })]);
      expect(labelled[0]!.action).toBe('configured');
      expect(labelled[0]!.object.metadata.generation).toBe(2);
      expect(Number(labelled[0]!.object.metadata.resourceVersion)).toBeGreaterThan(Number(scaled[0]!.object.metadata.resourceVersion));
    });

    it('removes a field it applied before and no longer applies', async () => {
      const { cluster, running } = await emulated();
      await cluster.apply([aNamespace(), aConfigMap('settings', 'ml', { a: '1', b: '2' })]);
      const [r] = await cluster.apply([aConfigMap('settings', 'ml', { a: '1' })]);
      expect(r!.action).toBe('configured');
      expect(running.emulator.object('v1', 'ConfigMap', 'ml', 'settings')?.['data']).toEqual({ a: '1' });
    });
  });

  describe('ordering', () => {
    it('applies Namespaces before what lives in them, whatever the input order', async () => {
      const { cluster } = await emulated();
      const results = await cluster.apply([aDeployment(), aConfigMap(), aNamespace()]);
      expect(results.map((r) => r.ref.kind)).toEqual(['Namespace', 'ConfigMap', 'Deployment']);
    });
  });

  describe('when another field manager owns a field', () => {
    it('fails with K8S_CONFLICT naming the manager and field, and force takes the field over', async () => {
      const { cluster, running } = await emulated();
      await cluster.apply([aNamespace()]);
      expect(running.emulator.applyAs('helm', aDeployment('web', 'ml', { replicas: 3 })).status).toBe(201);

      const err = await expectCode(cluster.apply([aDeployment('web', 'ml', { replicas: 1 })]), 'K8S_CONFLICT');
      expect(err.message).toContain('Deployment ml/web');
      expect(err.message).toContain('"helm"');
      expect(err.message).toContain('.spec.replicas');
      expect(err.hint).toContain('--force-conflicts');
      expect(err.details?.['conflicts']).toEqual([{ manager: 'helm', field: '.spec.replicas' }]);

      const [forced] = await cluster.apply([aDeployment('web', 'ml', { replicas: 1 })], { force: true });
      expect(forced!.action).toBe('configured');
      expect(running.emulator.log.at(-1)).toContain('force=true');
      const live = running.emulator.object('apps/v1', 'Deployment', 'ml', 'web');
      expect((live?.['spec'] as { replicas: number }).replicas).toBe(1);
      const helm = managers(live).find((m) => m.manager === 'helm');
      expect(helm?.fields ?? '').not.toContain('f:replicas');
    });
  });

  describe('when the server rejects the object', () => {
    it('fails with K8S_INVALID quoting the Status message (422)', async () => {
      const { cluster } = await emulated();
      await cluster.apply([aNamespace()]);
      const err = await expectCode(cluster.apply([aDeployment('web', 'ml', { image: null })]), 'K8S_INVALID');
      expect(err.message).toContain('Deployment ml/web');
      expect(err.message).toContain('Deployment.apps "web" is invalid: spec.template.spec.containers[0].image: Required value');
    });

    it('fails with K8S_DENIED naming the verb and resource (403)', async () => {
      const { cluster, running } = await emulated();
      await cluster.apply([aNamespace()]);
      running.emulator.deny({ verb: 'patch', resource: 'deployments' });
      const err = await expectCode(cluster.apply([aDeployment()]), 'K8S_DENIED');
      expect(err.message).toContain('patch Deployment ml/web');
      expect(err.message).toContain('cannot patch resource "deployments" in API group "apps"');
      expect(err.hint).toContain('kubectl auth can-i patch deployments.apps -n ml');
    });

    it('fails with K8S_NOT_FOUND when the namespace does not exist', async () => {
      const { cluster } = await emulated();
      const err = await expectCode(cluster.apply([aConfigMap('x', 'nowhere')]), 'K8S_NOT_FOUND');
      expect(err.message).toContain('namespaces "nowhere" not found');
    });

    it('fails with K8S_NOT_FOUND and a CRD hint for a kind the server does not serve', async () => {
      const { cluster } = await emulated();
      const err = await expectCode(cluster.apply([{ apiVersion: 'example.com/v1', kind: 'Gadget', metadata: { name: 'g', namespace: 'default' } }]), 'K8S_NOT_FOUND');
      expect(err.message).toContain('kind Gadget in example.com/v1');
      expect(err.hint).toContain('CRD');
    });

    it('rejects an object without a name before sending anything', async () => {
      const { cluster, running } = await emulated();
      await expectCode(cluster.apply([{ apiVersion: 'v1', kind: 'ConfigMap', metadata: {} } as KubeObject]), 'K8S_INVALID');
      expect(running.emulator.log).toEqual([]);
    });
  });

  describe('dry run', () => {
    it('reports what would happen and persists nothing', async () => {
      const { cluster, running } = await emulated();
      const [r] = await cluster.apply([aNamespace('dry')], { dryRun: true });
      expect(r!.action).toBe('created');
      expect(running.emulator.log.at(-1)).toContain('dryRun=All');
      expect(running.emulator.object('v1', 'Namespace', undefined, 'dry')).toBeUndefined();
    });

    it('says configured for a change and unchanged for none', async () => {
      const { cluster } = await emulated();
      await cluster.apply([aNamespace(), aConfigMap()]);
      expect((await cluster.apply([aConfigMap()], { dryRun: true }))[0]!.action).toBe('unchanged');
      expect((await cluster.apply([aConfigMap('settings', 'ml', { a: '2' })], { dryRun: true }))[0]!.action).toBe('configured');
    });
  });

  describe('get and delete', () => {
    it('reads an object or undefined, and deletes it (true once, then false)', async () => {
      const { cluster, running } = await emulated();
      await cluster.apply([aNamespace(), aConfigMap()]);
      const ref = { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'ml', name: 'settings' };
      expect((await cluster.get(ref))?.['data']).toEqual({ a: '1' });
      expect(await cluster.delete(ref)).toBe(true);
      expect(await cluster.get(ref)).toBeUndefined();
      expect(await cluster.delete(ref)).toBe(false);
      expect(running.emulator.log.filter((l) => l.startsWith('DELETE'))[0]).toContain('propagationPolicy=Background');
    });
  });

  describe('custom resources', () => {
    it('applies a CRD byte for byte (enum, x-kubernetes-*) and then its custom resource', async () => {
      const { cluster, running, events } = await emulated();
      const crd: KubeObject = {
        apiVersion: 'apiextensions.k8s.io/v1',
        kind: 'CustomResourceDefinition',
        metadata: { name: 'widgets.example.com' },
        spec: {
          group: 'example.com',
          scope: 'Namespaced',
          names: { plural: 'widgets', singular: 'widget', kind: 'Widget' },
          versions: [
            {
              name: 'v1',
              served: true,
              storage: true,
              schema: {
                openAPIV3Schema: {
                  type: 'object',
                  properties: { spec: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true, properties: { size: { type: 'string', enum: ['s', 'm'] } } } },
                },
              },
            },
          ],
        },
      };
      const widget: KubeObject = { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w', namespace: 'ml' }, spec: { size: 's', extra: { any: 1 } } };
      const results = await cluster.apply([widget, aNamespace(), crd], { onEvent: (e) => events.push(e) });
      expect(results.map((r) => [r.ref.kind, r.action])).toEqual([
        ['Namespace', 'created'],
        ['CustomResourceDefinition', 'created'],
        ['Widget', 'created'],
      ]);
      const stored = running.emulator.object('apiextensions.k8s.io/v1', 'CustomResourceDefinition', undefined, 'widgets.example.com');
      const spec = (stored?.['spec'] as { versions: { schema: { openAPIV3Schema: { properties: { spec: Record<string, unknown> } } } }[] }).versions[0]!.schema.openAPIV3Schema.properties.spec;
      expect(spec['x-kubernetes-preserve-unknown-fields']).toBe(true);
      expect((spec['properties'] as { size: { enum: string[] } }).size.enum).toEqual(['s', 'm']);
      expect(running.emulator.object('example.com/v1', 'Widget', 'ml', 'w')?.['spec']).toEqual({ size: 's', extra: { any: 1 } });
      expect(events.filter((e) => e.type === 'info').map((e) => (e as { message: string }).message)).toContain('Widget ml/w created');
    });
  });
});
