/**
 * convertDefinition maps a composed Zarf definition onto a bundle spec:
 * - `images` become images (kept to the package architecture), OCI Helm charts (`url: oci://…`) become image
 *   entries too (Helm OCI artifacts, carried byte for byte);
 * - manifests become shipped manifests, their `###ZARF_VAR_…###` / `###ZARF_CONST_…###` turned into `${…}`
 *   bundle variables and Zarf's per-manifest namespace written into the objects;
 * - variables and constants become bundle variables (a constant keeps its value through a literal pattern);
 * - `files` and `dataInjections` become file artifacts (models), a data injection with a volume to fill;
 * - everything else (actions, git repos, kustomizations, non-OCI charts, image archives, Package Values, …) is
 *   listed in the report: never silently dropped.
 * Components deployed by `zarf package deploy --confirm` are taken (required or default), plus those named.
 */
import { readFile } from 'node:fs/promises';
import { posix, relative, resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { BundleSpec, Deploy, ImageEntry, ModelEntry, Variable } from '../../src/schema/generated/bundle-spec.js';
import type { LoadedDefinition } from '../definition/load-definition.js';
import { hasPackageTemplate } from '../definition/package-templates.js';
import type { ZarfManifest } from '../definition/zarf-definition.types.js';
import { isUrl } from '../definition/zarf-paths.js';
import { parseZarfImageRef } from '../image/zarf-image-ref.js';
import { placeInNamespace } from '../manifests/place-namespace.js';
import type { ReportItem } from './import-report.types.js';
import { checkManifestImages } from './check-manifest-images.js';
import { bundleVariableName, convertPlaceholders, ZARF_BUILTINS, type PlaceholderNames } from './placeholders.js';
import { convertChart, reportActions } from './report-unsupported.js';

/** ConvertOptions for {@link convertDefinition}. */
export interface ConvertOptions {
  /** Directory of the bundle.yaml to write: sources and shipped manifests are relative to it. */
  outDir: string;
  /** Where converted manifests go, relative to outDir (default `zarf-manifests`). */
  manifestsDir?: string;
  /** Optional components to take as well. */
  components?: string[];
}

/** Conversion is the spec, the files it ships (relative to outDir), and the report. */
export interface Conversion {
  spec: BundleSpec;
  files: Array<{ path: string; content: string }>;
  report: ReportItem[];
}

/** convertDefinition converts a composed Zarf definition (reads the local manifests it ships). */
export async function convertDefinition(def: LoadedDefinition, options: ConvertOptions): Promise<Conversion> {
  const { pkg } = def;
  const report: ReportItem[] = [];
  const add = (kind: ReportItem['kind'], where: string, message: string, hint?: string): void => {
    report.push({ kind, where, message, ...(hint !== undefined ? { hint } : {}) });
  };
  const manifestsDir = options.manifestsDir ?? 'zarf-manifests';
  const relFromOut = (p: string): string => relative(options.outDir, resolve(def.dir, p)).replaceAll('\\', '/');

  for (const n of def.notes) add('not-carried', n.where, n.message, n.hint);
  for (const key of def.unresolvedTemplates) add('not-carried', 'package templates', `###ZARF_PKG_TMPL_${key}### has no value: entries using it are left out`, `pass --set ${key}=VALUE`);
  for (const s of def.importedSchemas) add('not-carried', 'values', `values schema ${s} of an imported package (Package Values) is not carried`);
  if (pkg.kind === 'ZarfInitConfig') add('changed', 'package', 'this is a Zarf init package: its registry, injector and agent are Zarf infrastructure', 'bundle deploy pushes to a registry that is already running');
  if (pkg.values?.files !== undefined || pkg.values?.schema !== undefined) {
    add('not-carried', 'values', `Package Values (${[...(pkg.values.files ?? []), ...(pkg.values.schema !== undefined ? [pkg.values.schema] : [])].join(', ')}) are not carried: bundle deploy has no Go templates`, 'turn the values a manifest needs into ###ZARF_VAR_…### variables');
  }
  if (pkg.documentation !== undefined) add('not-carried', 'documentation', `documentation files (${Object.values(pkg.documentation).join(', ')}) are not carried`);
  if (pkg.metadata.yolo === true) add('changed', 'metadata.yolo', 'YOLO mode (images pulled from the internet, no registry) does not exist in bundles: images are carried and pushed');

  // Variables and constants.
  const names: PlaceholderNames = { variables: new Map(), constants: new Map() };
  const variables: Variable[] = [];
  for (const v of pkg.variables ?? []) {
    const name = bundleVariableName(v.name);
    names.variables.set(v.name, name);
    const out: Variable = { name };
    if (v.description !== undefined) out.description = v.description;
    // Zarf gives an unset variable its default, else "": only a prompted one has to be given.
    if (v.default !== undefined) out.default = String(v.default);
    else if (v.prompt !== true) out.default = '';
    if (v.pattern !== undefined) out.pattern = v.pattern;
    if (v.sensitive === true) out.sensitive = true;
    if (v.prompt === true && v.default === undefined) {
      out.required = true;
      add('changed', `variables ${v.name}`, 'prompted for by Zarf; bundle deploy needs it given (required)', `pass --set ${name}=…`);
    }
    if (v.autoIndent === true) add('changed', `variables ${v.name}`, 'autoIndent: bundle deploy substitutes multi-line values without re-indenting them', 'give a one-line value, or indent it yourself');
    if (v.type === 'file') add('changed', `variables ${v.name}`, 'type: file: bundle deploy substitutes the value itself, not the contents of the file it names', `pass the contents (--values FILE with ${name}: |)`);
    variables.push(out);
  }
  for (const c of pkg.constants ?? []) {
    const taken = new Set(variables.map((v) => v.name));
    const name = taken.has(bundleVariableName(c.name)) ? `ZARF_CONST_${c.name}` : bundleVariableName(c.name);
    names.constants.set(c.name, name);
    if (hasPackageTemplate(c.value)) {
      add('not-carried', `constants ${c.name}`, `its value ${c.value} holds an unfilled package template`);
      continue;
    }
    variables.push({ name, default: c.value, pattern: escapeRegExp(c.value), description: c.description ?? `Zarf constant ${c.name} (fixed when the package was made)` });
  }

  const spec: BundleSpec = {
    apiVersion: 'airbundle.dev/v1',
    kind: 'Bundle',
    metadata: { name: bundleName(pkg.metadata.name), version: pkg.metadata.version ?? '0.0.0', ...(pkg.metadata.description !== undefined ? { description: pkg.metadata.description.trim() } : {}) },
  };
  if (pkg.metadata.version === undefined) add('changed', 'metadata.version', 'the definition has no version: the bundle is version 0.0.0');
  const images: ImageEntry[] = [];
  const imageSet = new Set<string>();
  const models: ModelEntry[] = [];
  const deploy: Deploy = {};
  const files: Conversion['files'] = [];
  const namespaces: string[] = [];
  const builtins = new Set<string>();
  const literals = new Set<string>();
  const used = new Set<string>();
  const platform = `linux/${def.arch}`;

  const addImage = (ref: string, where: string): void => {
    if (hasPackageTemplate(ref)) return add('not-carried', where, `image ${ref} holds an unfilled package template`);
    let normalized: string;
    try {
      normalized = parseZarfImageRef(ref).reference;
    } catch (err) {
      return add('not-carried', where, (err as Error).message);
    }
    if (imageSet.has(normalized)) return;
    imageSet.add(normalized);
    images.push({ source: ref, platforms: [platform] });
  };

  const chosen = new Set(options.components ?? []);
  for (const c of pkg.components) {
    const where = `component ${c.name}`;
    if (c.required !== true && c.default !== true && !chosen.has(c.name)) {
      add('not-carried', where, 'optional component (neither required nor default): left out', `import with --components ${c.name} to take it`);
      continue;
    }
    chosen.delete(c.name);
    if (c.only?.localOS !== undefined) add('changed', where, `only.localOS ${c.only.localOS} is not checked`);
    if (c.only?.cluster?.distros !== undefined) add('changed', where, `only.cluster.distros ${c.only.cluster.distros.join(', ')} is not checked`);
    if (c.group !== undefined) add('changed', where, `group ${c.group} (deprecated choice between components) is not carried: the component is taken`);
    for (const img of c.images ?? []) addImage(img, where);
    for (const a of c.imageArchives ?? []) add('not-carried', `${where}: imageArchives ${a.path}`, `image archive (${a.images.join(', ')}) is not carried`, 'push the archive to a registry (or unpack it to an OCI layout) and list it under images');
    for (const r of c.repos ?? []) add('not-carried', `${where}: repos`, `git repository ${r} is not carried: bundles hold no git server content`, 'publish what the cluster needs from it as an OCI artifact or manifests');
    for (const h of c.healthChecks ?? []) add('not-carried', `${where}: healthChecks`, `health check ${String(h.kind)}/${String(h.name)} is not carried (bundle deploy waits for the workloads it applies)`);
    if (c.scripts !== undefined) add('not-carried', `${where}: scripts`, 'deprecated scripts are not run');
    reportActions(c, where, add);
    for (const [i, chart] of (c.charts ?? []).entries()) convertChart(chart, `${where}: charts[${i}] ${chart.name}`, addImage, add);
    for (const [i, f] of (c.files ?? []).entries()) {
      const w = `${where}: files[${i}] ${f.source}`;
      const name = artifactName(`${c.name}-file-${i}`);
      const source = isUrl(f.source) ? (f.shasum !== undefined ? `${f.source}#sha256=${f.shasum}` : undefined) : `file://${relFromOut(f.source)}`;
      if (source === undefined || hasPackageTemplate(f.source)) {
        add('not-carried', w, 'remote file without a shasum (bundles only carry pinned downloads)', 'add shasum: to the file entry');
        continue;
      }
      models.push({ name, source, ...(f.shasum !== undefined && !isUrl(f.source) ? { sha256: f.shasum } : {}) });
      add('changed', w, `carried as artifact models/${name}; bundle deploy does not place it at ${f.target} on the deploying machine${f.template === true ? ' nor fill its templates' : ''}`);
    }
    for (const [i, d] of (c.dataInjections ?? []).entries()) {
      const w = `${where}: dataInjections[${i}] ${d.source}`;
      const name = artifactName(`${c.name}-data-${i}`);
      const claim = dnsLabel(name);
      models.push({ name, source: `file://${relFromOut(d.source)}` });
      (deploy.volumes ??= []).push({ name: claim, model: name, layout: 'plain' });
      add('changed', w, `carried as artifact models/${name} filled into volume ${claim}, not streamed into ${d.target.namespace}/${d.target.selector} container ${d.target.container}`, `mount claim ${claim} at ${d.target.path} in that workload, and set deploy.loaderImage to a busybox-like image of the bundle`);
    }
    for (const [i, m] of (c.manifests ?? []).entries()) {
      const w = `${where}: manifests[${i}] ${m.name}`;
      if (m.namespace !== undefined && !namespaces.includes(m.namespace)) namespaces.push(m.namespace);
      for (const k of m.kustomizations ?? []) add('not-carried', `${w}: kustomizations`, `kustomization ${k} is not built`, 'run kustomize build and list the output under files');
      for (const [j, file] of (m.files ?? []).entries()) {
        const converted = await convertManifestFile(def.dir, file, m, names, `${w}: files[${j}]`, add);
        if (converted === undefined) continue;
        for (const b of converted.builtins) builtins.add(b);
        for (const l of converted.literal) literals.add(l);
        for (const u of converted.used) used.add(u);
        const path = posix.join(manifestsDir, artifactName(c.name), `${artifactName(m.name)}-${j}.yaml`);
        files.push({ path, content: converted.text });
        (deploy.manifests ??= []).push({ path });
      }
    }
  }
  for (const name of chosen) add('not-carried', `--components ${name}`, 'no such component in the composed definition');

  // Objects without a namespace go into their manifest's namespace; the first one is the bundle's.
  if (namespaces.length > 0) deploy.namespace = namespaces[0]!;
  const extraNamespaces = namespaces.slice(1).filter((ns) => !files.some((f) => definesNamespace(f.content, ns)));
  if (extraNamespaces.length > 0) {
    const path = posix.join(manifestsDir, 'namespaces.yaml');
    files.unshift({ path, content: extraNamespaces.map((ns) => `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ${ns}\n`).join('---\n') });
    (deploy.manifests ??= []).unshift({ path });
  }
  for (const key of [...builtins].sort()) {
    variables.push({ name: `ZARF_${key}`, description: `Zarf built-in ###ZARF_${key}###: ${ZARF_BUILTINS[key]!}`, required: true });
    add('changed', `###ZARF_${key}###`, `Zarf fills this from its cluster state; here it is the deploy variable ZARF_${key}`, `pass --set ZARF_${key}=…`);
  }
  const declared = new Set(variables.map((v) => v.name));
  for (const name of [...literals].sort()) {
    if (declared.has(name)) {
      add('warning', `\${${name}}`, `a shipped manifest holds the literal text \${${name}}, which is also the bundle variable ${name}: it will be substituted`);
      continue;
    }
    variables.push({ name, default: `\${${name}}`, description: `the literal text \${${name}} in a shipped manifest (not a Zarf variable)` });
    add('changed', `\${${name}}`, `a shipped manifest holds the literal text \${${name}}: declared as a variable whose default is that text, so deploy keeps it`);
  }
  checkManifestImages(files, imageSet, add);

  if (images.length > 0) spec.images = images;
  if (models.length > 0) spec.models = models;
  if (variables.length > 0) deploy.variables = variables;
  if (Object.keys(deploy).length > 0) spec.deploy = deploy;
  return { spec, files, report };
}

async function convertManifestFile(
  dir: string,
  file: string,
  m: ZarfManifest,
  names: PlaceholderNames,
  where: string,
  add: (kind: ReportItem['kind'], where: string, message: string, hint?: string) => void,
): Promise<ReturnType<typeof convertPlaceholders> | undefined> {
  if (isUrl(file)) {
    add('not-carried', where, `remote manifest ${file} is not downloaded`, 'download it, check it, and list the local copy');
    return undefined;
  }
  const text = await readFile(resolve(dir, file), 'utf8').catch(() => undefined);
  if (text === undefined) {
    add('not-carried', where, `manifest ${file} cannot be read`);
    return undefined;
  }
  if (m.template === true && text.includes('{{')) {
    add('not-carried', where, `manifest ${file} uses Package Values templates ({{ … }}), which bundle deploy does not render`, 'use ###ZARF_VAR_…### variables instead');
    return undefined;
  }
  const converted = convertPlaceholders(text, names);
  for (const u of converted.unknown) add('warning', where, `${u} names no variable, constant or built-in: left as written`);
  if (m.namespace !== undefined) {
    const placed = placeInNamespace(converted.text, m.namespace);
    converted.text = placed.text;
    for (const f of placed.failed) add('warning', where, `${f} has no namespace and its metadata is not a block mapping: it goes into the bundle's namespace, not ${m.namespace}`);
  }
  if (m.noWait === true) add('changed', where, 'noWait: bundle deploy waits for workloads to be ready');
  return converted;
}

function definesNamespace(content: string, ns: string): boolean {
  return parseAllDocuments(content).some((d) => {
    const v = d.errors.length === 0 ? (d.toJS() as { kind?: unknown; metadata?: { name?: unknown } } | null) : null;
    return v?.kind === 'Namespace' && v.metadata?.name === ns;
  });
}

/** artifactName makes a bundle-safe name: lower case letters, digits, `.`, `_`, `-`. */
function artifactName(s: string): string {
  return s.toLowerCase().replace(/[^a-z0-9._-]+/g, '-').replace(/^[^a-z0-9]+|[^a-z0-9]+$/g, '').slice(0, 63) || 'x';
}

/** dnsLabel makes a Kubernetes object name of one DNS label. */
function dnsLabel(s: string): string {
  return s.replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 63) || 'x';
}

function bundleName(s: string): string {
  return artifactName(s);
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
}
