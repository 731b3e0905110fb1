import { readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { loadBundleSpec } from '../../src/schema/spec-loader.js';
import { importZarfDefinition, loadZarfDefinition } from '../../zarf-compat/index.js';
import { runCli } from '../support/cli.js';
import { expectCode } from '../support/matchers.js';
import { useTempDirs } from '../support/temp-dir.js';

const FIXTURES = '/work/shared/zarf-fixtures';
const EXAMPLES = join(FIXTURES, 'examples');
const examples = readdirSync(EXAMPLES).sort();

describe('bundle zarf import', () => {
  const tempDir = useTempDirs();

  describe('when given every upstream example', () => {
    it.each(examples)('%s imports into a spec that loads, with a report of what was not carried', async (name) => {
      const dir = await tempDir();
      const result = await importZarfDefinition(join(EXAMPLES, name, 'zarf.yaml'), { out: join(dir, 'bundle.yaml'), arch: 'amd64', set: { NGINX_VERSION: '1.27.0' } });
      const loaded = await loadBundleSpec(result.out);
      expect(loaded.spec.metadata.name).toBe(result.spec.metadata.name);
      for (const f of result.files) expect(parseAllDocuments(await readFile(f, 'utf8')).every((d) => d.errors.length === 0)).toBe(true);
      // Every example uses something bundles do not carry (documentation at least): never silently dropped.
      expect(result.report.length).toBeGreaterThan(0);
    });
  });

  describe('when the definition uses what bundles cannot carry', () => {
    it('lists actions, git repositories, charts and remote manifests in the report', async () => {
      const dir = await tempDir();
      const r = await importZarfDefinition(join(EXAMPLES, 'argocd', 'zarf.yaml'), { out: join(dir, 'bundle.yaml'), arch: 'amd64' });
      const messages = r.report.map((i) => `${i.kind} ${i.where}: ${i.message}`).join('\n');
      expect(messages).toMatch(/not-carried component argocd-apps: repos: git repository https:\/\/github.com\/stefanprodan\/podinfo.git/);
      expect(messages).toMatch(/not-carried component argocd-apps: actions.onDeploy.after\[0\]: wait "Podinfo pod to be ready/);
      expect(messages).toMatch(/not-carried component argocd-helm-chart: charts\[0\] argo-cd: Helm repository chart/);
      expect(r.spec.images?.map((i) => i.source)).toContain('quay.io/argoproj/argocd:v3.1.9');
      const manifests = await importZarfDefinition(join(EXAMPLES, 'manifests', 'zarf.yaml'), { out: join(dir, 'm', 'bundle.yaml'), arch: 'amd64' });
      expect(manifests.report.map((i) => i.message).join('\n')).toMatch(/remote manifest https:\/\/k8s.io\/examples\/application\/deployment.yaml@.* is not downloaded/);
      expect(manifests.report.map((i) => i.message).join('\n')).toMatch(/kustomization https:\/\/github.com\/stefanprodan\/podinfo\/kustomize\?ref=6.4.0 is not built/);
    });

    it('carries OCI Helm charts as image entries (Helm OCI artifacts)', async () => {
      const dir = await tempDir();
      const r = await importZarfDefinition(join(EXAMPLES, 'helm-charts', 'zarf.yaml'), { out: join(dir, 'bundle.yaml'), arch: 'amd64' });
      expect(r.spec.images?.map((i) => i.source)).toContain('ghcr.io/stefanprodan/charts/podinfo:6.4.0');
      expect(r.report.find((i) => i.where.includes('podinfo-local'))?.kind).toBe('not-carried');
    });
  });

  describe('when manifests use Zarf variables and constants', () => {
    it('turns ###ZARF_VAR_…### and ###ZARF_CONST_…### into ${…} bundle variables', async () => {
      const dir = await tempDir();
      const r = await importZarfDefinition(join(EXAMPLES, 'variables', 'zarf.yaml'), { out: join(dir, 'bundle.yaml'), arch: 'amd64', set: { NGINX_VERSION: '1.27.0' } });
      const vars = new Map((r.spec.deploy?.variables ?? []).map((v) => [v.name, v]));
      expect(vars.get('NGINX_VERSION')).toMatchObject({ default: '1.27.0' });
      expect(vars.get('SITE_NAME')).toMatchObject({ required: true, pattern: '^[\\w\\s\\-\\.]+$' });
      expect(vars.get('SECRET')).toMatchObject({ sensitive: true });
      expect(r.spec.images).toEqual([{ source: 'nginx:1.27.0', platforms: ['linux/amd64'] }]);
      const texts = await Promise.all(r.files.map((f) => readFile(f, 'utf8')));
      const all = texts.join('\n');
      expect(all).toContain('image: nginx:${NGINX_VERSION}');
      expect(all).toContain('Welcome to ${SITE_NAME}!');
      expect(all).not.toMatch(/###ZARF_(VAR|CONST)_(SITE_NAME|NGINX_VERSION|STYLE)###/);
      expect(r.report.some((i) => i.where === 'variables STYLE' && /autoIndent/.test(i.message))).toBe(true);
    });

    it('lists a ###ZARF_PKG_TMPL_…### without a value, and leaves out what uses it', async () => {
      const dir = await tempDir();
      const r = await importZarfDefinition(join(EXAMPLES, 'variables', 'zarf.yaml'), { out: join(dir, 'bundle.yaml'), arch: 'amd64' });
      expect(r.report.some((i) => i.message.includes('###ZARF_PKG_TMPL_NGINX_VERSION### has no value'))).toBe(true);
      expect(r.spec.images ?? []).toEqual([]);
    });
  });

  describe('when selecting flavors and architectures', () => {
    it('takes only the components of the flavor asked for', async () => {
      const dir = await tempDir();
      const r = await importZarfDefinition(join(EXAMPLES, 'package-flavors', 'zarf.yaml'), { out: join(dir, 'bundle.yaml'), arch: 'amd64', flavor: 'oracle-cookie-crunch' });
      expect(r.spec.images?.map((i) => i.source)).toEqual(['oraclelinux:9-slim']);
    });
    it('fails naming the flavors when none fits', async () => {
      const err = await expectCode(loadZarfDefinition(join(FIXTURES, 'import-testdata/package-with-flavors/zarf.yaml'), { arch: 'amd64' }), 'ZARF_DEFINITION_INVALID');
      expect(err.hint).toMatch(/pistachio, cashew/);
    });
  });

  describe('when the definition is v1beta1', () => {
    it('resolves import.local variants by flavor and converts images, repositories and charts', async () => {
      const nginx = await loadZarfDefinition(join(FIXTURES, 'import-testdata/import-v1beta1/variants/zarf.yaml'), { arch: 'amd64', flavor: 'nginx' });
      expect(nginx.pkg.components).toEqual([{ name: 'web', required: true, images: ['nginx:1.27'], only: { flavor: 'nginx' } }]);
      await expectCode(loadZarfDefinition(join(FIXTURES, 'import-testdata/import-v1beta1/variants/zarf.yaml'), { arch: 'amd64' }), 'ZARF_IMPORT_FAILED');
      const merged = await loadZarfDefinition(join(FIXTURES, 'import-testdata/import-v1beta1/merge/zarf.yaml'), { arch: 'amd64' });
      const app = merged.pkg.components[0]!;
      expect(app.images).toEqual(['redis:7', 'nginx:1.27']);
      expect(app.charts?.[0]).toMatchObject({ name: 'app', namespace: 'app', releaseName: 'custom-release', localPath: 'components/app-chart' });
      expect(app.manifests?.[0]?.kustomizations).toEqual(['components/base-kustomization', 'override-kustomization']);
      const nested = await loadZarfDefinition(join(FIXTURES, 'import-testdata/import-v1beta1/nested/zarf.yaml'), { arch: 'amd64' });
      expect(nested.pkg.values?.files).toEqual(['components/child/child-values.yaml', 'components/app-values.yaml']);
      expect(nested.pkg.components[0]!.files?.[0]?.source).toBe('components/child/child.txt');
      const beta = await loadZarfDefinition(join(FIXTURES, 'import-testdata/v1beta1-package/zarf.yaml'), { arch: 'amd64' });
      expect(beta.pkg.components[0]).toMatchObject({ images: ['nginx:1.27.0'], repos: ['https://github.com/zarf-dev/zarf.git'], required: true });
    });
  });

  describe('from the CLI', () => {
    it('writes bundle.yaml and the shipped manifests, and prints the report', async () => {
      const dir = await tempDir();
      const out = join(dir, 'bundle.yaml');
      const r = await runCli(['zarf', 'import', join(EXAMPLES, 'dos-games', 'zarf.yaml'), '-o', out]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/Wrote .*bundle.yaml/);
      expect(r.stdout).toMatch(/not-carried +documentation: documentation files \(readme.md, secrets.md\)/);
      const spec = (await loadBundleSpec(out)).spec;
      expect(spec.deploy?.namespace).toBe('dos-games');
      expect(spec.deploy?.manifests?.map((m) => m.path)).toEqual(['zarf-manifests/baseline/multi-games-0.yaml', 'zarf-manifests/baseline/multi-games-1.yaml']);
      const deployment = await readFile(join(dir, 'zarf-manifests/baseline/multi-games-0.yaml'), 'utf8');
      expect(deployment).toMatch(/metadata:\n  namespace: dos-games\n  name: game/);
    });

    it('takes --set, --flavor and --json', async () => {
      const dir = await tempDir();
      const r = await runCli(['zarf', 'import', join(EXAMPLES, 'variables'), '-o', join(dir, 'bundle.yaml'), '--set', 'NGINX_VERSION=1.27.0', '--arch', 'arm64', '--json']);
      expect(r.code, r.stderr).toBe(0);
      const doc = JSON.parse(r.stdout) as { spec: { images: Array<{ platforms: string[] }> }; source: { arch: string } };
      expect(doc.source.arch).toBe('arm64');
      expect(doc.spec.images[0]!.platforms).toEqual(['linux/arm64']);
    });
  });
});
