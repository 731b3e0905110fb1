import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, runTool } from '../support/cli.js';
import { startRegistry, type RunningRegistry } from '../support/registry.js';
import { buildPackage, deploymentYaml, tarOf, tinyChart } from './package-builder.js';

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

interface ChartReport {
  charts: Array<{ component: string; chart: string; version: string; reference: string; digest: string; install: string; values: string[] }>;
  report: Array<{ kind: string; where: string; message: string }>;
}

describe('bundle deploy of a Zarf package with Helm charts: pushed as helm push does, never installed', () => {
  let registry: RunningRegistry;
  let dir: string;
  let pkg: string;
  let tgz: Buffer;
  beforeAll(async () => {
    registry = await startRegistry();
    dir = await mkdtemp(join(tmpdir(), 'airbundle-zarf-charts-'));
    pkg = join(dir, 'zarf-package-demo-amd64-1.0.0.tar.zst');
    tgz = await tinyChart('tiny', '0.1.0+build.1', { home: 'https://example.com/tiny', maintainers: [{ name: 'Ann', email: 'ann@example.com' }] });
    await buildPackage(pkg, [
      {
        name: 'app',
        required: true,
        manifests: { namespace: 'app', files: [deploymentYaml('app')] },
        images: ['localhost/demo/app:1.0'],
        charts: [{ name: 'tiny', version: '0.1.0+build.1', namespace: 'tiny', releaseName: 'my-tiny', tgz, values: ['greeting: hi\n', 'replicas: 2\n'] }],
      },
      { name: 'broken', required: true, charts: [{ name: 'nochart', version: '1.0.0', namespace: 'x', tgz: gzipSync(await tarOf([{ name: 'nochart/values.yaml', data: Buffer.from('a: b\n') }])) }] },
    ]);
  });
  afterAll(async () => {
    await registry?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('pushes the chart as an OCI artifact with helm\'s media types, config and annotations; the layer is the .tgz unchanged', async () => {
    const out = join(dir, 'rendered');
    const r = await runCli(['deploy', pkg, '--registry', `${registry.host}/mirror`, '--plain-http', '--allow-unsigned', '--render-only', out]);
    expect(r.code, r.stderr).toBe(0);
    const ref = `${registry.host}/mirror/tiny:0.1.0_build.1`;
    expect(r.stdout).toContain(`Helm chart tiny version 0.1.0+build.1 pushed as oci://${ref}; install it with \`helm install my-tiny oci://${registry.host}/mirror/tiny --version 0.1.0+build.1 --namespace tiny --create-namespace -f tiny-0.1.0+build.1-0 -f tiny-0.1.0+build.1-1\` (deploy does not run Helm)`);
    expect(r.stdout).toContain('values files (in components/app.tar): app/values/tiny-0.1.0+build.1-0, app/values/tiny-0.1.0+build.1-1');
    expect(r.stdout).toMatch(/not-carried +component broken: charts nochart: broken\/charts\/nochart-1\.0\.0\.tgz is not a chart archive \(it holds no <chart>\/Chart\.yaml\): not pushed/);
    expect((await readdir(out)).sort()).toEqual(['00-namespace-app.yaml', '01-deployment-app.yaml', 'charts.txt']);
    expect(await readFile(join(out, 'charts.txt'), 'utf8')).toContain(`chart tiny 0.1.0+build.1 (component app): oci://${ref}`);

    const raw = await runTool('skopeo', ['inspect', '--tls-verify=false', '--raw', `docker://${ref}`]);
    expect(raw.code, raw.stderr).toBe(0);
    const manifest = JSON.parse(raw.stdout) as { schemaVersion: number; mediaType?: string; config: { mediaType: string; digest: string; size: number }; layers: Array<{ mediaType: string; digest: string; size: number }>; annotations: Record<string, string> };
    expect(Object.keys(manifest)).toEqual(['schemaVersion', 'config', 'layers', 'annotations']);
    expect(manifest.config.mediaType).toBe('application/vnd.cncf.helm.config.v1+json');
    expect(manifest.layers).toEqual([{ mediaType: 'application/vnd.cncf.helm.chart.content.v1.tar+gzip', digest: `sha256:${sha(tgz)}`, size: tgz.length }]);
    expect(manifest.annotations).toEqual({
      'org.opencontainers.image.authors': 'Ann (ann@example.com)',
      'org.opencontainers.image.created': '2024-01-02T15:04:05Z',
      'org.opencontainers.image.description': 'A tiny chart & <test>',
      'org.opencontainers.image.title': 'tiny',
      'org.opencontainers.image.url': 'https://example.com/tiny',
      'org.opencontainers.image.version': '0.1.0+build.1',
    });
    // Go's encoder escapes HTML characters; so do we, byte for byte.
    expect(raw.stdout).toContain('"org.opencontainers.image.description":"A tiny chart \\u0026 \\u003ctest\\u003e"');

    const layout = join(dir, 'oci-chart');
    const copy = await runTool('skopeo', ['copy', '--src-tls-verify=false', `docker://${ref}`, `oci:${layout}:tiny`]);
    expect(copy.code, copy.stderr).toBe(0);
    const layer = await readFile(join(layout, 'blobs', 'sha256', sha(tgz)));
    expect(sha(layer)).toBe(sha(tgz));
    const config = await readFile(join(layout, 'blobs', 'sha256', manifest.config.digest.slice('sha256:'.length)), 'utf8');
    expect(config).toBe(
      '{"name":"tiny","home":"https://example.com/tiny","version":"0.1.0+build.1","description":"A tiny chart \\u0026 \\u003ctest\\u003e","maintainers":[{"name":"Ann","email":"ann@example.com"}],"apiVersion":"v2","appVersion":"1.16.0","type":"application"}',
    );
  });

  it('is idempotent (same manifest digest on a re-deploy) and lists the charts in the --json report; --no-push pushes nothing', async () => {
    const again = await runCli(['deploy', pkg, '--registry', `${registry.host}/mirror`, '--plain-http', '--allow-unsigned', '--render-only', join(dir, 'again'), '--json']);
    expect(again.code, again.stderr).toBe(0);
    const report = JSON.parse(again.stdout) as ChartReport;
    expect(report.charts).toHaveLength(1);
    const inspect = await runTool('skopeo', ['inspect', '--tls-verify=false', '--raw', `docker://${registry.host}/mirror/tiny:0.1.0_build.1`]);
    expect(report.charts[0]!.digest).toBe(`sha256:${sha(Buffer.from(inspect.stdout))}`);

    const other = await startRegistry();
    try {
      const dry = await runCli(['deploy', pkg, '--registry', other.host, '--plain-http', '--allow-unsigned', '--render-only', join(dir, 'nopush'), '--no-push']);
      expect(dry.code, dry.stderr).toBe(0);
      expect(dry.stdout).toContain(`Helm chart tiny version 0.1.0+build.1 would be pushed as oci://${other.host}/tiny:0.1.0_build.1`);
      const none = await runTool('skopeo', ['inspect', '--tls-verify=false', '--raw', `docker://${other.host}/tiny:0.1.0_build.1`]);
      expect(none.code).not.toBe(0);
    } finally {
      await other.stop();
    }
  });
});
