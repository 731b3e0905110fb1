/**
 * Component imports of v1beta1 definitions. A package component lists `import.local[]` paths of
 * `kind: ZarfComponentConfig` files; the entries are variants, exactly one of which must match the target
 * (architecture, flavor). The chosen config's own imports are resolved first (cycles refused), its paths rebased
 * onto the importing file, then the importing component is laid over it: images, charts and manifests merge by
 * name, other lists append, the head wins on conflicts. Imported values files come before the package's own.
 * `import.remote[]` (published component artifacts) are not fetched: the component is left out, with a note.
 * Reference: zarf-dev/zarf src/pkg/packager/load/import_v1beta1.go and import_v1beta1_merge.go (v0.84.0).
 */
import { readFile } from 'node:fs/promises';
import { dirname, join, posix, resolve } from 'node:path';
import { AirbundleError } from '../../src/errors.js';
import type { ComposeNote, ComposeTarget } from './compose-v1alpha1.js';
import { isMap, parseDefinitionDocument } from './parse-definition.js';
import type { YamlMap } from './zarf-definition.types.js';
import { dedupePaths, makePathRelativeTo } from './zarf-paths.js';

/** V1beta1ComposeResult is the composed v1beta1 document and what compose left out. */
export interface V1beta1ComposeResult {
  doc: YamlMap;
  notes: ComposeNote[];
  importedSchemas: string[];
}

/** resolveImportsV1beta1 composes a v1beta1 package document read from `file`. */
export async function resolveImportsV1beta1(doc: YamlMap, file: string, target: ComposeTarget): Promise<V1beta1ComposeResult> {
  const pkg = structuredClone(doc);
  const notes: ComposeNote[] = [];
  const files: string[] = [];
  const schemas: string[] = [];
  const components: YamlMap[] = [];
  for (const component of maps(pkg.components)) {
    if (!compatible(selectorOf(component), target)) continue;
    const name = String(component.name);
    const imp = isMap(component.import) ? component.import : {};
    if (maps(imp.remote).length > 0) {
      notes.push({
        where: `component ${name}`,
        message: `imports ${maps(imp.remote).map((r) => String(r.url)).join(', ')} (published component artifacts), which cannot be fetched here: the component is left out`,
        hint: 'pull the component config and import it with import.local',
      });
      continue;
    }
    const merged = await resolveSpec(component, dirname(file), target, [resolve(file)], files, schemas);
    components.push(merged);
  }
  pkg.components = components;
  const values = isMap(pkg.values) ? pkg.values : {};
  const all = dedupePaths([...files, ...strings(values.files)]);
  if (all.length > 0) pkg.values = { ...values, files: all };
  return { doc: pkg, notes, importedSchemas: dedupePaths(schemas) };
}

/** resolveSpec resolves the imports of one component spec (a package component or a config's `component`). */
async function resolveSpec(spec: YamlMap, dir: string, target: ComposeTarget, stack: string[], files: string[], schemas: string[]): Promise<YamlMap> {
  const imp = isMap(spec.import) ? spec.import : {};
  const local = maps(imp.local);
  if (local.length === 0) {
    const out = { ...spec };
    delete out.import;
    return out;
  }
  const loaded: Array<{ config: YamlMap; path: string; rel: string }> = [];
  for (const entry of local) {
    const rel = String(entry.path);
    const path = resolve(join(dir, rel));
    if (stack.includes(path)) throw new AirbundleError('ZARF_IMPORT_FAILED', `component config ${path.replaceAll('\\', '/')} imported in cycle`);
    const config = parseDefinitionDocument(await readFile(path, 'utf8').catch(() => {
      throw new AirbundleError('ZARF_IMPORT_FAILED', `cannot read the component config ${path} imported from ${dir}`);
    }), path);
    if (config.kind !== 'ZarfComponentConfig' || !isMap(config.component)) {
      throw new AirbundleError('ZARF_IMPORT_FAILED', `${path} is not a ZarfComponentConfig with a component: section`);
    }
    loaded.push({ config, path, rel: posix.dirname(rel.replaceAll('\\', '/')) });
  }
  const compatibleOnes = loaded.filter((l) => compatible(variantOf(l.config), target));
  if (compatibleOnes.length !== 1) {
    throw new AirbundleError('ZARF_IMPORT_FAILED', `${compatibleOnes.length === 0 ? 'no' : 'multiple'} imported component variant${compatibleOnes.length === 0 ? ' is' : 's are'} compatible with the package target (arch ${target.arch || '(none)'}, flavor ${target.flavor || '(none)'}) among ${loaded.map((l) => l.path).join(', ')}`);
  }
  const chosen = compatibleOnes[0]!;
  const innerFiles: string[] = [];
  const innerSchemas: string[] = [];
  const resolvedImport = await resolveSpec(chosen.config.component as YamlMap, dirname(chosen.path), target, [...stack, chosen.path], innerFiles, innerSchemas);
  const values = isMap(chosen.config.values) ? chosen.config.values : {};
  files.push(...[...innerFiles, ...strings(values.files)].map((f) => makePathRelativeTo(f, chosen.rel)));
  if (typeof values.schema === 'string') schemas.push(makePathRelativeTo(values.schema, chosen.rel));
  schemas.push(...innerSchemas.map((s) => makePathRelativeTo(s, chosen.rel)));
  const merged = mergeSpec(fixPaths(resolvedImport, chosen.rel), spec);
  delete merged.import;
  return merged;
}

function maps(v: unknown): YamlMap[] {
  return Array.isArray(v) ? v.filter(isMap) : [];
}

function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((s): s is string => typeof s === 'string') : [];
}

/** selectorOf reads a package component's create-time selection (`selector`, formerly also `target`). */
function selectorOf(c: YamlMap): YamlMap {
  return { ...(isMap(c.target) ? c.target : {}), ...(isMap(c.selector) ? c.selector : {}) };
}

/** variantOf reads a component config's variant: top-level `variant`, or the component's selector. */
function variantOf(config: YamlMap): YamlMap {
  if (isMap(config.variant)) return config.variant;
  return isMap(config.component) ? selectorOf(config.component) : {};
}

function compatible(sel: YamlMap, target: ComposeTarget): boolean {
  const arch = typeof sel.architecture === 'string' ? sel.architecture : '';
  const flavor = typeof sel.flavor === 'string' ? sel.flavor : '';
  return (arch === '' || arch === target.arch) && (flavor === '' || flavor === target.flavor);
}

/** fixPaths rebases local resource paths of an imported spec onto the importing file's directory. */
function fixPaths(spec: YamlMap, rel: string): YamlMap {
  const out = structuredClone(spec);
  for (const f of maps(out.files)) if (typeof f.source === 'string') f.source = makePathRelativeTo(f.source, rel);
  for (const a of maps(out.imageArchives)) if (typeof a.path === 'string') a.path = makePathRelativeTo(a.path, rel);
  for (const c of maps(out.charts)) {
    if (isMap(c.local) && typeof c.local.path === 'string') c.local.path = makePathRelativeTo(c.local.path, rel);
    for (const v of maps(c.valuesFiles)) if (typeof v.path === 'string') v.path = makePathRelativeTo(v.path, rel);
  }
  for (const m of maps(out.manifests)) {
    if (Array.isArray(m.files)) m.files = strings(m.files).map((f) => makePathRelativeTo(f, rel));
    if (isMap(m.kustomize) && Array.isArray(m.kustomize.files)) m.kustomize.files = strings(m.kustomize.files).map((f) => makePathRelativeTo(f, rel));
  }
  return out;
}

/** mergeSpec lays the importing (head) spec over the imported (base) one. */
function mergeSpec(base: YamlMap, head: YamlMap): YamlMap {
  const merged: YamlMap = { ...base };
  for (const [key, value] of Object.entries(head)) {
    if (['images', 'charts', 'manifests', 'files', 'imageArchives', 'repositories', 'stateAccess', 'actions', 'import'].includes(key)) continue;
    if (value !== undefined && value !== '' && value !== null) merged[key] = value;
  }
  for (const key of ['files', 'imageArchives', 'repositories', 'stateAccess']) {
    const list = [...(Array.isArray(base[key]) ? (base[key] as unknown[]) : []), ...(Array.isArray(head[key]) ? (head[key] as unknown[]) : [])];
    if (list.length > 0) merged[key] = list;
  }
  merged.images = byName(maps(base.images), maps(head.images), (b, h) => ({ ...b, ...(h.source !== undefined ? { source: h.source } : {}) }));
  merged.charts = byName(maps(base.charts), maps(head.charts), (b, h) => {
    const c: YamlMap = { ...b };
    for (const k of ['namespace', 'releaseName', 'helmRepository', 'git', 'local', 'oci', 'serverSideApply']) if (h[k] !== undefined && h[k] !== '') c[k] = h[k];
    for (const k of ['skipWait', 'skipSchemaValidation']) if (h[k] === true) c[k] = true;
    for (const k of ['valuesFiles', 'values']) c[k] = [...maps(b[k]), ...maps(h[k])];
    return c;
  });
  merged.manifests = byName(maps(base.manifests), maps(head.manifests), (b, h) => {
    const m: YamlMap = { ...b };
    if (typeof h.namespace === 'string' && h.namespace !== '') m.namespace = h.namespace;
    m.files = [...strings(b.files), ...strings(h.files)];
    if (isMap(h.kustomize)) {
      m.kustomize = isMap(b.kustomize) ? { ...b.kustomize, files: [...strings(b.kustomize.files), ...strings(h.kustomize.files)] } : h.kustomize;
    }
    for (const k of ['serverSideApply']) if (typeof h[k] === 'string' && h[k] !== '') m[k] = h[k];
    for (const k of ['skipWait', 'enableTemplating']) if (h[k] === true) m[k] = true;
    return m;
  });
  const actions: YamlMap = {};
  const baseActions = isMap(base.actions) ? base.actions : {};
  const headActions = isMap(head.actions) ? head.actions : {};
  for (const event of ['onCreate', 'onDeploy', 'onRemove']) {
    const b = isMap(baseActions[event]) ? baseActions[event] : {};
    const h = isMap(headActions[event]) ? headActions[event] : {};
    const set: YamlMap = { ...b };
    if (h.defaults !== undefined) set.defaults = h.defaults;
    else delete set.defaults;
    for (const list of ['before', 'after', 'onSuccess', 'onFailure']) {
      const all = [...maps(b[list]), ...maps(h[list])];
      if (all.length > 0) set[list] = all;
    }
    if (Object.keys(set).length > 0) actions[event] = set;
  }
  if (Object.keys(actions).length > 0) merged.actions = actions;
  for (const key of ['images', 'charts', 'manifests']) if ((merged[key] as unknown[]).length === 0) delete merged[key];
  return merged;
}

function byName(base: YamlMap[], head: YamlMap[], merge: (b: YamlMap, h: YamlMap) => YamlMap): YamlMap[] {
  const out = base.map((b) => ({ ...b }));
  for (const h of head) {
    const i = out.findIndex((b) => b.name === h.name);
    if (i < 0) out.push(h);
    else out[i] = merge(out[i]!, h);
  }
  return out;
}
