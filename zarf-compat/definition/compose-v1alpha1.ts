/**
 * Component `import` for v1alpha1 definitions, with Zarf's merge semantics: the importing component is the
 * "override", the imported one the base. Metadata (name, required, default, description, flavor) comes from the
 * override; resources are appended (imported first); charts and manifests with the same name are merged; paths of
 * the imported component are rebased onto the importing definition; variables and constants of imported packages
 * are appended, the first definition of a name winning; values files of imports come before the package's own.
 * Two packages may import one another as long as no chain imports a package already on it.
 * Reference: zarf-dev/zarf src/pkg/packager/load/import.go (v0.84.0); golden cases in
 * ../shared/zarf-fixtures/import-testdata/import/*\/expected.yaml.
 */
import { readFile, stat } from 'node:fs/promises';
import { join, posix, resolve } from 'node:path';
import { AirbundleError } from '../../src/errors.js';
import { assertV1alpha1Package, isV1beta1, parseDefinitionDocument } from './parse-definition.js';
import type { YamlMap, ZarfActionSet, ZarfComponent, ZarfPackage } from './zarf-definition.types.js';
import { dedupePaths, isUrl, makePathRelativeTo } from './zarf-paths.js';

/** ComposeTarget selects components by `only.cluster.architecture` and `only.flavor`. */
export interface ComposeTarget {
  arch: string;
  flavor: string;
}

/** ComposeNote is something compose could not do and left out (reported, never silently dropped). */
export interface ComposeNote {
  where: string;
  message: string;
  hint?: string;
}

/** ComposeResult is the composed package and what compose had to leave out. */
export interface ComposeResult {
  pkg: ZarfPackage;
  notes: ComposeNote[];
  /** Values schemas declared by imported packages (Zarf merges them into values.schema.json at create time). */
  importedSchemas: string[];
}

/** compatibleComponent is Zarf's component filter: no constraint, or the constraint equals the target. */
export function compatibleComponent(c: ZarfComponent, target: ComposeTarget): boolean {
  const arch = c.only?.cluster?.architecture ?? '';
  const flavor = c.only?.flavor ?? '';
  return (arch === '' || arch === target.arch) && (flavor === '' || flavor === target.flavor);
}

/**
 * resolveImportsV1alpha1 composes `pkg` (read from directory `dir`): components incompatible with the target are
 * dropped, and every `import.path` is resolved recursively. An `import.url` (a published skeleton package) is
 * not fetched: the component is left out and a note says so.
 */
export async function resolveImportsV1alpha1(pkg: ZarfPackage, dir: string, target: ComposeTarget): Promise<ComposeResult> {
  const notes: ComposeNote[] = [];
  const importedSchemas: string[] = [];
  const composed = await resolve1(structuredClone(pkg), dir, target, [], notes, importedSchemas, '');
  return { pkg: composed, notes, importedSchemas: dedupePaths(importedSchemas) };
}

async function resolve1(pkg: ZarfPackage, dir: string, target: ComposeTarget, stack: string[], notes: ComposeNote[], schemas: string[], prefix: string): Promise<ZarfPackage> {
  const importStack = [...stack, resolve(dir)];
  const variables = [...(pkg.variables ?? [])];
  const constants = [...(pkg.constants ?? [])];
  const components: ZarfComponent[] = [];
  const importedValues: string[] = [];

  for (const component of pkg.components) {
    if (!compatibleComponent(component, target)) continue;
    const imp = component.import;
    if (imp === undefined || (isEmpty(imp.path) && isEmpty(imp.url))) {
      components.push(component);
      continue;
    }
    validateCompose(component);
    const where = `${prefix}component ${component.name}`;
    if (!isEmpty(imp.url)) {
      notes.push({
        where,
        message: `imports ${imp.url} (a published skeleton package), which cannot be fetched here: the component is left out`,
        hint: 'pull the skeleton (zarf package pull) and import it by path, or copy the component into this zarf.yaml',
      });
      continue;
    }
    const importPath = join(dir, imp.path!);
    if (importStack.includes(resolve(importPath))) {
      throw new AirbundleError('ZARF_IMPORT_FAILED', `package ${toSlash(importPath)} imported in cycle by ${toSlash(dir)} in component ${component.name}`, {
        hint: 'two packages may import each other only along different chains',
      });
    }
    const { file, baseDir } = await definitionFile(importPath, component.name);
    const doc = parseDefinitionDocument(await readFile(file, 'utf8'), file);
    if (isV1beta1(doc)) throw new AirbundleError('ZARF_IMPORT_FAILED', `component ${component.name} imports ${file}, a v1beta1 definition, from a v1alpha1 one`);
    assertV1alpha1Package(doc, file);
    const wanted = component.import?.name ?? component.name;
    doc.components = doc.components.filter((c) => c.name === wanted);
    const imported = await resolve1(doc, baseDir, target, importStack, notes, schemas, `${where} → `);
    const found = imported.components.filter((c) => c.name === wanted && compatibleComponent(c, target));
    if (found.length === 0) throw new AirbundleError('ZARF_IMPORT_FAILED', `no compatible component named ${wanted} found in ${file} (imported by component ${component.name})`);
    if (found.length > 1) throw new AirbundleError('ZARF_IMPORT_FAILED', `multiple components named ${wanted} found in ${file} (imported by component ${component.name})`);
    const rel = baseDir === resolve(importPath) ? imp.path! : posix.dirname(imp.path!);
    const base = await fixPaths(found[0]!, rel, dir);
    components.push(overrideResources(overrideActions(overrideDeprecated(overrideMetadata(base, component), component), component), component));
    variables.push(...(imported.variables ?? []));
    constants.push(...(imported.constants ?? []));
    importedValues.push(...(imported.values?.files ?? []).map((f) => makePathRelativeTo(f, rel)));
    if (imported.values?.schema !== undefined) schemas.push(makePathRelativeTo(imported.values.schema, rel));
  }

  pkg.components = components;
  setList(pkg, 'variables', firstByName(variables));
  setList(pkg, 'constants', firstByName(constants));
  const files = dedupePaths([...importedValues, ...(pkg.values?.files ?? [])]);
  if (files.length > 0) pkg.values = { ...pkg.values, files };
  return pkg;
}

function isEmpty(v: string | undefined): boolean {
  return v === undefined || v === '';
}

function toSlash(p: string): string {
  return p.replaceAll('\\', '/');
}

/** validateCompose refuses import paths Zarf refuses: templated, both path and url, absolute, non-OCI url. */
function validateCompose(c: ZarfComponent): void {
  const problems: string[] = [];
  const path = c.import?.path ?? '';
  const url = c.import?.url ?? '';
  if (path.includes('###ZARF_PKG_TMPL_') || url.includes('###ZARF_PKG_TMPL_')) problems.push('package templates are not supported for import path or URL');
  if (path !== '' && url !== '') problems.push('both a path and a URL were provided');
  if (url === '' && posix.isAbsolute(path.replaceAll('\\', '/'))) problems.push('path cannot be an absolute path');
  if (url !== '' && path === '' && !/^oci:\/\//.test(url)) problems.push('URL is not a valid OCI URL');
  if (problems.length > 0) throw new AirbundleError('ZARF_IMPORT_FAILED', `invalid imported definition for ${c.name}: ${problems.join('; ')}`);
}

/** definitionFile finds the zarf.yaml an import path names: the file itself, or `zarf.yaml` in the directory. */
async function definitionFile(importPath: string, component: string): Promise<{ file: string; baseDir: string }> {
  const info = await stat(importPath).catch(() => undefined);
  if (info === undefined) throw new AirbundleError('ZARF_IMPORT_FAILED', `unable to access import package path ${JSON.stringify(toSlash(importPath))} (component ${component})`);
  if (info.isDirectory()) return { file: join(importPath, 'zarf.yaml'), baseDir: resolve(importPath) };
  return { file: importPath, baseDir: resolve(importPath, '..') };
}

function firstByName<T extends { name: string }>(list: T[]): T[] {
  const seen = new Set<string>();
  return list.filter((v) => (seen.has(v.name) ? false : (seen.add(v.name), true)));
}

/** setList sets a list field, or removes it when empty (Go's nil slice: absent from the YAML). */
function setList<T extends object, K extends keyof T>(obj: T, key: K, list: unknown[] | undefined): void {
  if (list === undefined || list.length === 0) delete obj[key];
  else obj[key] = list as T[K];
}

function concat<T>(a: T[] | undefined, b: T[] | undefined): T[] | undefined {
  const out = [...(a ?? []), ...(b ?? [])];
  return out.length === 0 ? undefined : out;
}

function overrideMetadata(comp: ZarfComponent, override: ZarfComponent): ZarfComponent {
  comp.name = override.name;
  if (override.default === undefined) delete comp.default;
  else comp.default = override.default;
  if (override.required === undefined) delete comp.required;
  else comp.required = override.required;
  if (!isEmpty(override.description)) comp.description = override.description;
  if (!isEmpty(override.only?.flavor)) comp.only = { ...comp.only, flavor: override.only!.flavor! };
  if (!isEmpty(override.only?.localOS)) {
    if (!isEmpty(comp.only?.localOS)) {
      throw new AirbundleError('ZARF_IMPORT_FAILED', `component "${comp.name}": "only.localOS" "${comp.only!.localOS}" cannot be redefined as "${override.only!.localOS}" during compose`);
    }
    comp.only = { ...comp.only, localOS: override.only!.localOS! };
  }
  delete comp.import;
  return comp;
}

function overrideDeprecated(comp: ZarfComponent, override: ZarfComponent): ZarfComponent {
  if (override.group === undefined) delete comp.group;
  else comp.group = override.group;
  const base = comp.scripts ?? {};
  const over = override.scripts ?? {};
  const scripts: YamlMap = { ...base };
  for (const key of ['before', 'after']) {
    const list = concat(base[key] as unknown[] | undefined, over[key] as unknown[] | undefined);
    if (list !== undefined) scripts[key] = list;
  }
  if (over.retry === true) scripts.retry = true;
  if (over.showOutput === true) scripts.showOutput = true;
  if (typeof over.timeoutSeconds === 'number' && over.timeoutSeconds > 0) scripts.timeoutSeconds = over.timeoutSeconds;
  if (Object.keys(scripts).length > 0) comp.scripts = scripts;
  return comp;
}

function overrideActions(comp: ZarfComponent, override: ZarfComponent): ZarfComponent {
  const actions = { ...comp.actions };
  for (const event of ['onCreate', 'onDeploy', 'onRemove'] as const) {
    const base: ZarfActionSet = { ...actions[event] };
    const over: ZarfActionSet = override.actions?.[event] ?? {};
    if (over.defaults === undefined) delete base.defaults;
    else base.defaults = over.defaults;
    for (const list of ['before', 'after', 'onFailure', 'onSuccess'] as const) setList(base, list, concat(base[list], over[list]));
    if (Object.keys(base).length > 0) actions[event] = base;
    else delete actions[event];
  }
  if (Object.keys(actions).length > 0) comp.actions = actions;
  else delete comp.actions;
  return comp;
}

function overrideResources(comp: ZarfComponent, override: ZarfComponent): ZarfComponent {
  setList(comp, 'dataInjections', concat(comp.dataInjections, override.dataInjections));
  setList(comp, 'files', concat(comp.files, override.files));
  setList(comp, 'images', concat(comp.images, override.images));
  setList(comp, 'repos', concat(comp.repos, override.repos));
  const charts = [...(comp.charts ?? [])];
  for (const o of override.charts ?? []) {
    let existing = false;
    for (const c of charts) {
      if (c.name !== o.name) continue;
      existing = true;
      for (const key of ['namespace', 'releaseName', 'version', 'url'] as const) if (!isEmpty(o[key])) c[key] = o[key];
      for (const key of ['valuesFiles', 'templatedValuesFiles', 'variables', 'values'] as const) setList(c, key, concat<unknown>(c[key], o[key]));
    }
    if (!existing) charts.push(o);
  }
  setList(comp, 'charts', charts);
  const manifests = [...(comp.manifests ?? [])];
  for (const o of override.manifests ?? []) {
    let existing = false;
    for (const m of manifests) {
      if (m.name !== o.name) continue;
      existing = true;
      if (!isEmpty(o.namespace)) m.namespace = o.namespace;
      setList(m, 'files', concat(m.files, o.files));
      setList(m, 'kustomizations', concat(m.kustomizations, o.kustomizations));
    }
    if (!existing) manifests.push(o);
  }
  setList(comp, 'manifests', manifests);
  setList(comp, 'healthChecks', concat(comp.healthChecks, override.healthChecks));
  setList(comp, 'imageArchives', concat(comp.imageArchives, override.imageArchives));
  return comp;
}

/** fixPaths rebases the local paths of an imported component onto the importing definition (`rel` is the import path). */
async function fixPaths(child: ZarfComponent, rel: string, dir: string): Promise<ZarfComponent> {
  for (const f of child.files ?? []) f.source = makePathRelativeTo(f.source, rel);
  for (const a of child.imageArchives ?? []) a.path = makePathRelativeTo(a.path, rel);
  for (const c of child.charts ?? []) {
    if (c.valuesFiles !== undefined) c.valuesFiles = c.valuesFiles.map((v) => makePathRelativeTo(v, rel));
    if (c.templatedValuesFiles !== undefined) c.templatedValuesFiles = c.templatedValuesFiles.map((v) => makePathRelativeTo(v, rel));
    if (!isEmpty(c.localPath)) c.localPath = makePathRelativeTo(c.localPath!, rel);
  }
  for (const m of child.manifests ?? []) {
    if (m.files !== undefined) m.files = m.files.map((f) => makePathRelativeTo(f, rel));
    if (m.kustomizations !== undefined) {
      const out: string[] = [];
      for (const k of m.kustomizations) {
        // Kustomizations may be remote builds in a non-URL syntax: only rebase what exists locally.
        const composed = makePathRelativeTo(k, rel);
        out.push(!isUrl(k) && (await stat(join(dir, composed)).catch(() => undefined)) !== undefined ? composed : k);
      }
      m.kustomizations = out;
    }
  }
  for (const d of child.dataInjections ?? []) d.source = makePathRelativeTo(d.source, rel);
  const onCreate = child.actions?.onCreate;
  if (onCreate !== undefined) {
    const defaultDir = typeof onCreate.defaults?.dir === 'string' ? onCreate.defaults.dir : '';
    for (const list of ['before', 'after', 'onFailure', 'onSuccess'] as const) {
      for (const a of onCreate[list] ?? []) a.dir = makePathRelativeTo(typeof a.dir === 'string' ? a.dir : defaultDir, rel);
    }
  }
  return child;
}
