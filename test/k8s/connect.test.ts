import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { connectCluster } from '../../src/k8s/connect.js';
import { expectCode } from '../support/matchers.js';
import { writeKubeconfig } from '../support/k8s-emulator.js';
import { useTempDirs } from '../support/temp-dir.js';
import { aConfigMap, aNamespace, useEmulatedCluster } from './fixture.js';

const tempDir = useTempDirs();
const emulated = useEmulatedCluster();

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('connectCluster', () => {
  describe('when there is no kubeconfig', () => {
    it('fails with K8S_CONFIG naming the path tried and hinting --kubeconfig', async () => {
      const home = await tempDir();
      let caught: unknown;
      try {
        connectCluster({ env: {}, homeDir: home });
      } catch (e) {
        caught = e;
      }
      const err = await expectCode(Promise.reject(caught), 'K8S_CONFIG');
      expect(err.message).toContain(join(home, '.kube', 'config'));
      expect(err.hint).toContain('--kubeconfig');
    });

    it('names a --kubeconfig path that does not exist', async () => {
      const dir = await tempDir();
      expect(() => connectCluster({ kubeconfig: join(dir, 'nope.yaml') })).toThrow(/nope\.yaml does not exist/);
    });

    it('names KUBECONFIG when none of its files exist', async () => {
      const dir = await tempDir();
      expect(() => connectCluster({ env: { KUBECONFIG: join(dir, 'a') }, homeDir: dir })).toThrow(/KUBECONFIG names .*\/a/);
    });
  });

  describe('contexts', () => {
    it('lists the contexts when --context names none of them', async () => {
      const dir = await tempDir();
      const kubeconfig = await writeKubeconfig(dir, { url: 'https://127.0.0.1:6443', token: 't' }, { context: 'prod' });
      const err = await expectCode(
        (async () => connectCluster({ kubeconfig, context: 'staging' }))(),
        'K8S_CONFIG',
      );
      expect(err.message).toContain('"staging"');
      expect(err.hint).toContain('prod');
    });

    it("puts namespaced objects without a namespace into the context's namespace", async () => {
      const { cluster, running } = await emulated({ namespace: 'ml' });
      expect(cluster.defaultNamespace).toBe('ml');
      await cluster.apply([aNamespace('ml')]);
      const { metadata, ...rest } = aConfigMap('settings', 'ml');
      const [r] = await cluster.apply([{ ...rest, metadata: { name: metadata.name } }]);
      expect(r!.ref).toEqual({ apiVersion: 'v1', kind: 'ConfigMap', name: 'settings', namespace: 'ml' });
      expect(running.emulator.object('v1', 'ConfigMap', 'ml', 'settings')).toBeDefined();
    });

    it('reads KUBECONFIG when no --kubeconfig is given', async () => {
      const { kubeconfig } = await emulated();
      const cluster = connectCluster({ env: { KUBECONFIG: kubeconfig } });
      expect(await cluster.get({ apiVersion: 'v1', kind: 'Namespace', name: 'default' })).toMatchObject({ metadata: { name: 'default' } });
    });
  });

  describe('when the server cannot be used', () => {
    it('fails with K8S_UNREACHABLE naming the server URL', async () => {
      const dir = await tempDir();
      const url = `https://127.0.0.1:${await closedPort()}`;
      const cluster = connectCluster({ kubeconfig: await writeKubeconfig(dir, { url, token: 't' }) });
      const err = await expectCode(cluster.apply([aNamespace()]), 'K8S_UNREACHABLE');
      expect(err.message).toContain(url);
      expect(err.details?.['errno']).toBe('ECONNREFUSED');
    });

    it('fails with K8S_AUTH when the token is rejected', async () => {
      const { running, dir } = await emulated();
      const cluster = connectCluster({ kubeconfig: await writeKubeconfig(dir, running, { token: 'wrong' }) });
      const err = await expectCode(cluster.get({ apiVersion: 'v1', kind: 'Namespace', name: 'default' }), 'K8S_AUTH');
      expect(err.message).toContain(running.url);
    });

    it('fails with K8S_UNREACHABLE and a CA hint when the server certificate is not trusted', async () => {
      const { running, dir } = await emulated();
      const cluster = connectCluster({ kubeconfig: await writeKubeconfig(dir, running, { untrusted: true }) });
      const err = await expectCode(cluster.get({ apiVersion: 'v1', kind: 'Namespace', name: 'default' }), 'K8S_UNREACHABLE');
      expect(err.hint).toContain('certificate-authority');
    });

    it('works against a plain-HTTP server (kubectl proxy)', async () => {
      const { cluster } = await emulated({ tls: false });
      expect(cluster.server.startsWith('http://')).toBe(true);
      expect((await cluster.apply([aNamespace()]))[0]!.action).toBe('created');
    });
  });
});
