/**
 * Reading `zarf.yaml` text into checked objects. A definition file holds one document; a built package's
 * `zarf.yaml` may hold two (v1alpha1 first, then v1beta1: Zarf's `MarshalPackageDefinition`), and older CLIs read
 * the first, as zarf-compat does for built packages. Every shape problem is collected and reported at once.
 */
import { parseAllDocuments } from 'yaml';
import { AirbundleError } from '../../src/errors.js';
import type { YamlMap, ZarfPackage } from './zarf-definition.types.js';

/** The apiVersion of v1beta1 definitions; anything else (or nothing) is v1alpha1. */
export const V1BETA1 = 'zarf.dev/v1beta1';

/** isMap tells a YAML mapping from scalars, sequences and null. */
export function isMap(value: unknown): value is YamlMap {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** parseYamlDocuments parses every document of a YAML text; ZARF_DEFINITION_INVALID naming the line on a syntax error. */
export function parseYamlDocuments(text: string, file: string): unknown[] {
  const docs = parseAllDocuments(text, { prettyErrors: true });
  const out: unknown[] = [];
  for (const doc of docs) {
    if (doc.errors.length > 0) {
      const e = doc.errors[0]!;
      const line = e.linePos?.[0]?.line ?? 1;
      throw new AirbundleError('ZARF_DEFINITION_INVALID', `${file}:${line}: not valid YAML: ${e.message.split('\n')[0]}`, { hint: 'fix the YAML at the line shown' });
    }
    const value: unknown = doc.toJS();
    if (value !== null && value !== undefined) out.push(value);
  }
  return out;
}

/** parseDefinitionDocument returns the first document of a `zarf.yaml` as a mapping (the one older Zarf CLIs read). */
export function parseDefinitionDocument(text: string, file: string): YamlMap {
  const first = parseYamlDocuments(text, file)[0];
  if (!isMap(first)) throw new AirbundleError('ZARF_DEFINITION_INVALID', `${file} is not a Zarf package definition: it holds no YAML mapping`);
  return first;
}

/** isV1beta1 tells a v1beta1 document from a v1alpha1 one. */
export function isV1beta1(doc: YamlMap): boolean {
  return doc.apiVersion === V1BETA1;
}

/**
 * assertV1alpha1Package checks the shape of a v1alpha1 package document (the fields zarf-compat reads), collecting
 * every problem, and narrows it to {@link ZarfPackage}.
 */
export function assertV1alpha1Package(doc: YamlMap, file: string): asserts doc is ZarfPackage {
  const problems: string[] = [];
  const check = (ok: boolean, field: string, want: string): void => {
    if (!ok) problems.push(`${field}: must be ${want}`);
  };
  const strings = (v: unknown): boolean => Array.isArray(v) && v.every((s) => typeof s === 'string');
  const optional = (v: unknown, ok: (x: unknown) => boolean): boolean => v === undefined || v === null || ok(v);
  const str = (v: unknown): boolean => typeof v === 'string';
  check(doc.kind === 'ZarfPackageConfig' || doc.kind === 'ZarfInitConfig', 'kind', 'ZarfPackageConfig or ZarfInitConfig');
  const meta = doc.metadata;
  check(isMap(meta) && typeof meta.name === 'string', 'metadata.name', 'a string');
  check(Array.isArray(doc.components), 'components', 'a list');
  for (const [key, fields] of [
    ['variables', ['name']],
    ['constants', ['name', 'value']],
  ] as const) {
    const list = doc[key];
    if (!optional(list, Array.isArray)) check(false, key, 'a list');
    else for (const [i, v] of ((list as unknown[] | undefined) ?? []).entries()) for (const f of fields) check(isMap(v) && typeof v[f] === 'string', `${key}[${i}].${f}`, 'a string');
  }
  for (const [i, c] of (Array.isArray(doc.components) ? (doc.components as unknown[]) : []).entries()) {
    const at = `components[${i}]`;
    if (!isMap(c)) {
      check(false, at, 'a mapping');
      continue;
    }
    check(typeof c.name === 'string', `${at}.name`, 'a string');
    check(optional(c.images, strings), `${at}.images`, 'a list of strings');
    check(optional(c.repos, strings), `${at}.repos`, 'a list of strings');
    check(optional(c.required, (v) => typeof v === 'boolean'), `${at}.required`, 'true or false');
    check(optional(c.default, (v) => typeof v === 'boolean'), `${at}.default`, 'true or false');
    check(optional(c.only, isMap), `${at}.only`, 'a mapping');
    check(optional(c.actions, isMap), `${at}.actions`, 'a mapping');
    if (!optional(c.import, isMap)) check(false, `${at}.import`, 'a mapping');
    else if (isMap(c.import)) for (const f of ['name', 'path', 'url']) check(optional(c.import[f], str), `${at}.import.${f}`, 'a string');
    const named = (key: string, extra: (x: YamlMap, where: string) => void): void => {
      const list = c[key];
      if (!optional(list, Array.isArray)) return check(false, `${at}.${key}`, 'a list');
      for (const [j, m] of ((list as unknown[] | undefined) ?? []).entries()) {
        if (!isMap(m)) check(false, `${at}.${key}[${j}]`, 'a mapping');
        else extra(m, `${at}.${key}[${j}]`);
      }
    };
    named('manifests', (m, w) => {
      check(typeof m.name === 'string', `${w}.name`, 'a string');
      check(optional(m.files, strings), `${w}.files`, 'a list of strings');
      check(optional(m.kustomizations, strings), `${w}.kustomizations`, 'a list of strings');
    });
    named('charts', (m, w) => {
      check(typeof m.name === 'string', `${w}.name`, 'a string');
      check(optional(m.valuesFiles, strings), `${w}.valuesFiles`, 'a list of strings');
    });
    named('files', (m, w) => {
      check(typeof m.source === 'string', `${w}.source`, 'a string');
      check(typeof m.target === 'string', `${w}.target`, 'a string');
    });
    named('dataInjections', (m, w) => {
      check(typeof m.source === 'string', `${w}.source`, 'a string');
      check(isMap(m.target), `${w}.target`, 'a mapping');
    });
    named('imageArchives', (m, w) => {
      check(typeof m.path === 'string', `${w}.path`, 'a string');
      check(strings(m.images), `${w}.images`, 'a list of strings');
    });
  }
  if (problems.length > 0) {
    throw new AirbundleError('ZARF_DEFINITION_INVALID', `${file} is not a valid Zarf package definition:\n  ${problems.join('\n  ')}`, {
      hint: 'the accepted fields are in Zarf\'s zarf.schema.json',
      details: { problems },
    });
  }
}
