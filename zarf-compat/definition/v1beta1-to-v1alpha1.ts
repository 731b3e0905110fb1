/**
 * Converts a composed v1beta1 package document into the v1alpha1 shape the rest of zarf-compat reads, the way
 * Zarf writes the v1alpha1 first document of a built v1beta1 package: components are required unless
 * `optional`, `selector`/`target` become `only`, typed image/repository/chart entries become v1alpha1 strings and
 * fields. v1beta1 has no variables, constants or data injections.
 * Reference: zarf-dev/zarf src/api/v1beta1/component.go, src/internal/api/v1beta1 (conversion), adr/0026-schema.md.
 */
import { isMap } from './parse-definition.js';
import type { YamlMap, ZarfChart, ZarfComponent, ZarfFile, ZarfManifest, ZarfPackage } from './zarf-definition.types.js';

/** v1beta1ToV1alpha1 converts a composed v1beta1 package document. Pure. */
export function v1beta1ToV1alpha1(doc: YamlMap): ZarfPackage {
  const meta = isMap(doc.metadata) ? doc.metadata : {};
  const pkg: ZarfPackage = {
    kind: typeof doc.kind === 'string' ? doc.kind : 'ZarfPackageConfig',
    metadata: { ...meta, name: String(meta.name ?? '') },
    components: maps(doc.components).map(component),
  };
  if (isMap(doc.values)) pkg.values = doc.values as ZarfPackage['values'];
  if (isMap(doc.documentation)) pkg.documentation = doc.documentation as Record<string, string>;
  if (isMap(doc.build)) pkg.build = doc.build;
  return pkg;
}

function maps(v: unknown): YamlMap[] {
  return Array.isArray(v) ? v.filter(isMap) : [];
}

function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((s): s is string => typeof s === 'string') : [];
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

function component(c: YamlMap): ZarfComponent {
  const out: ZarfComponent = { name: String(c.name ?? '') };
  if (str(c.description) !== undefined) out.description = str(c.description)!;
  out.required = c.optional !== true;
  const sel = { ...(isMap(c.target) ? c.target : {}), ...(isMap(c.selector) ? c.selector : {}) };
  const only: NonNullable<ZarfComponent['only']> = {};
  if (str(sel.os) !== undefined) only.localOS = str(sel.os)!;
  if (str(sel.architecture) !== undefined) only.cluster = { architecture: str(sel.architecture)! };
  if (str(sel.flavor) !== undefined) only.flavor = str(sel.flavor)!;
  if (Object.keys(only).length > 0) out.only = only;
  const images = maps(c.images).map((i) => str(i.name)).filter((s): s is string => s !== undefined);
  if (images.length > 0) out.images = images;
  const manifests = maps(c.manifests).map(manifest);
  if (manifests.length > 0) out.manifests = manifests;
  const charts = maps(c.charts).map(chart);
  if (charts.length > 0) out.charts = charts;
  const files = maps(c.files).map(file);
  if (files.length > 0) out.files = files;
  const repos = maps(c.repositories).map((r) => (str(r.ref) !== undefined ? `${String(r.url)}@${str(r.ref)!}` : String(r.url)));
  if (repos.length > 0) out.repos = repos;
  const archives = maps(c.imageArchives).map((a) => ({ path: String(a.path ?? ''), images: strings(a.images) }));
  if (archives.length > 0) out.imageArchives = archives;
  if (isMap(c.actions)) out.actions = c.actions;
  if (Array.isArray(c.healthChecks)) out.healthChecks = maps(c.healthChecks);
  for (const key of ['service', 'stateAccess']) if (c[key] !== undefined) out[key] = c[key];
  return out;
}

function manifest(m: YamlMap): ZarfManifest {
  const out: ZarfManifest = { name: String(m.name ?? '') };
  if (str(m.namespace) !== undefined) out.namespace = str(m.namespace)!;
  const files = strings(m.files);
  if (files.length > 0) out.files = files;
  const kustomize = isMap(m.kustomize) ? strings(m.kustomize.files) : [];
  if (kustomize.length > 0) out.kustomizations = kustomize;
  if (m.enableTemplating === true) out.template = true;
  if (m.skipWait === true) out.noWait = true;
  return out;
}

function chart(c: YamlMap): ZarfChart {
  const out: ZarfChart = { name: String(c.name ?? '') };
  for (const k of ['namespace', 'releaseName'] as const) if (str(c[k]) !== undefined) out[k] = str(c[k])!;
  if (isMap(c.helmRepository)) {
    out.url = String(c.helmRepository.url ?? '');
    if (str(c.helmRepository.name) !== undefined) out.repoName = str(c.helmRepository.name)!;
    if (str(c.helmRepository.version) !== undefined) out.version = str(c.helmRepository.version)!;
  } else if (isMap(c.oci)) {
    out.url = String(c.oci.url ?? '');
    const ref = isMap(c.oci.ref) ? c.oci.ref : {};
    if (str(ref.tag) !== undefined) out.version = str(ref.tag)!;
    else if (str(ref.digest) !== undefined) out.version = str(ref.digest)!;
  } else if (isMap(c.git)) {
    const ref = isMap(c.git.ref) ? (str(c.git.ref.tag) ?? str(c.git.ref.branch) ?? str(c.git.ref.commit)) : undefined;
    out.url = ref !== undefined ? `${String(c.git.url ?? '')}@${ref}` : String(c.git.url ?? '');
    if (str(c.git.path) !== undefined) out.gitPath = str(c.git.path)!;
  } else if (isMap(c.local)) {
    out.localPath = String(c.local.path ?? '');
  }
  const values = maps(c.valuesFiles).map((v) => String(v.path ?? ''));
  if (values.length > 0) out.valuesFiles = values;
  if (Array.isArray(c.values)) out.values = maps(c.values);
  return out;
}

function file(f: YamlMap): ZarfFile {
  const out: ZarfFile = { source: String(f.source ?? ''), target: String(f.destination ?? f.target ?? '') };
  if (str(f.checksum) !== undefined) out.shasum = str(f.checksum)!;
  if (f.executable === true) out.executable = true;
  if (Array.isArray(f.symlinks)) out.symlinks = strings(f.symlinks);
  if (str(f.extractPath) !== undefined) out.extractPath = str(f.extractPath)!;
  if (f.enableTemplating === true) out.template = true;
  return out;
}
