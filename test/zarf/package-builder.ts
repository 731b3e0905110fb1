/**
 * buildPackage writes a small Zarf package from scratch in Zarf's layout: components with manifests and Helm charts
 * (`<comp>/charts/<name>-<version>.tgz`, `<comp>/values/<name>-<version>-<i>`), and one tiny image. For tests of
 * component selection, pull secrets and charts.
 */
import type { KeyObject } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import tar from 'tar-stream';
import { stringify } from 'yaml';
import { writeZarfPackage } from '../../zarf-compat/index.js';
import { buildImage } from '../support/oci-image.js';
import { zarfImageFiles } from './zarf-fixture.js';

/** The one image every built package carries. */
export const BUILT_IMAGE = 'localhost/demo/app:1.0';

/** ChartSpec is one chart of a component. */
export interface ChartSpec {
  name: string;
  version: string;
  namespace: string;
  tgz: Buffer;
  values?: string[];
  releaseName?: string;
}

/** ComponentSpec is one component of a built package. */
export interface ComponentSpec {
  name: string;
  required?: boolean;
  default?: boolean;
  /** Manifest files (YAML text) of one manifest entry named `<component>-manifests`. */
  manifests?: { namespace?: string; files: string[] };
  charts?: ChartSpec[];
  images?: string[];
}

/** tarOf packs files (sorted as given) into a ustar archive in memory. */
export async function tarOf(files: Array<{ name: string; data: Buffer }>): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  const done = (async () => {
    for await (const c of pack as AsyncIterable<Buffer>) chunks.push(c);
  })();
  for (const f of files) pack.entry({ name: f.name, size: f.data.length, mtime: new Date(0), uid: 0, gid: 0 }, f.data);
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

/** tinyChart makes a chart archive as `helm package` does: `<name>/Chart.yaml`, values.yaml, a template, gzipped. */
export async function tinyChart(name: string, version: string, extra: Record<string, unknown> = {}): Promise<Buffer> {
  const chart = { apiVersion: 'v2', name, description: `A tiny chart & <test>`, type: 'application', version, appVersion: '1.16.0', ...extra };
  const files = [
    { name: `${name}/Chart.yaml`, data: Buffer.from(stringify(chart)) },
    { name: `${name}/values.yaml`, data: Buffer.from('greeting: hello\n') },
    { name: `${name}/templates/cm.yaml`, data: Buffer.from('apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}\ndata:\n  greeting: {{ .Values.greeting }}\n') },
  ];
  return gzipSync(await tarOf(files));
}

/** buildPackage writes the package to `path` and returns the image's manifest digest. */
export async function buildPackage(path: string, components: ComponentSpec[], options: { name?: string; signWith?: KeyObject } = {}): Promise<{ imageDigest: string }> {
  const image = buildImage([1024]);
  const files: Array<{ name: string; data: Buffer }> = [];
  const defs: Array<Record<string, unknown>> = [];
  for (const c of components) {
    const inner: Array<{ name: string; data: Buffer }> = [];
    const def: Record<string, unknown> = { name: c.name, ...(c.required !== undefined ? { required: c.required } : {}), ...(c.default !== undefined ? { default: c.default } : {}) };
    if (c.manifests !== undefined) {
      const mname = `${c.name}-manifests`;
      c.manifests.files.forEach((text, i) => inner.push({ name: `${c.name}/manifests/${mname}-${i}.yaml`, data: Buffer.from(text) }));
      def.manifests = [{ name: mname, ...(c.manifests.namespace !== undefined ? { namespace: c.manifests.namespace } : {}), files: c.manifests.files.map((_t, i) => `m${i}.yaml`) }];
    }
    if (c.charts !== undefined) {
      for (const ch of c.charts) {
        inner.push({ name: `${c.name}/charts/${ch.name}-${ch.version}.tgz`, data: ch.tgz });
        (ch.values ?? []).forEach((v, i) => inner.push({ name: `${c.name}/values/${ch.name}-${ch.version}-${i}`, data: Buffer.from(v) }));
      }
      def.charts = c.charts.map((ch) => ({
        name: ch.name,
        version: ch.version,
        namespace: ch.namespace,
        localPath: `charts/${ch.name}`,
        ...(ch.releaseName !== undefined ? { releaseName: ch.releaseName } : {}),
        ...((ch.values ?? []).length > 0 ? { valuesFiles: (ch.values ?? []).map((_v, i) => `values-${i}.yaml`) } : {}),
      }));
    }
    if (c.images !== undefined) def.images = c.images;
    defs.push(def);
    if (inner.length > 0) files.push({ name: `components/${c.name}.tar`, data: await tarOf(inner) });
  }
  files.push(...zarfImageFiles(image, BUILT_IMAGE));
  const definition = stringify({
    kind: 'ZarfPackageConfig',
    metadata: { name: options.name ?? 'demo', version: '1.0.0', architecture: 'amd64' },
    build: { terminal: 'test', user: 'test', architecture: 'amd64', timestamp: 'Tue, 02 Jan 2024 15:04:05 +0000', version: 'v0.60.0' },
    components: defs,
  });
  await writeZarfPackage(path, { definition, files, ...(options.signWith !== undefined ? { signWith: options.signWith } : {}) });
  return { imageDigest: image.manifest.digest };
}

/** deploymentYaml is a Deployment using the built image. */
export function deploymentYaml(name: string, namespace?: string, image = BUILT_IMAGE): string {
  return stringify({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, ...(namespace !== undefined ? { namespace } : {}) },
    spec: { selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'app', image }] } } },
  });
}
