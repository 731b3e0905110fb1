/**
 * zarfTemplateValues resolves the values of a package's deploy-time templates before anything is touched:
 * variables from `--set`/`--values` or their defaults (Zarf gives an unset variable its default, else ""), checked
 * against their patterns with the same rules and messages as bundle variables; constants as packaged; the
 * registry built-in. A `type: file` variable names a file whose contents are substituted.
 * Reference: zarf-dev/zarf src/pkg/variables (SetVariableMap, templates.go); src/deploy/values.ts.
 */
import { readFile } from 'node:fs/promises';
import { resolveValues } from '../../src/deploy/values.js';
import { AirbundleError } from '../../src/errors.js';
import type { ZarfPackage } from '../definition/zarf-definition.types.js';
import type { TemplateValue } from './fill-templates.js';

/** TemplateValues are the filled templates and the names whose values are never printed. */
export interface TemplateValues {
  templates: Map<string, TemplateValue>;
  sensitive: Set<string>;
}

/** zarfTemplateValues resolves every template of `pkg` (registry: `HOST[:PORT][/PREFIX]` as nodes reach it). */
export async function zarfTemplateValues(pkg: ZarfPackage, given: Record<string, string>, registry: string): Promise<TemplateValues> {
  const defs = (pkg.variables ?? []).map((v) => ({
    name: v.name,
    default: v.default === undefined ? '' : String(v.default),
    ...(v.pattern !== undefined ? { pattern: v.pattern } : {}),
    ...(v.sensitive === true ? { sensitive: true } : {}),
    ...(v.description !== undefined ? { description: v.description } : {}),
  }));
  const resolved = resolveValues(defs, given);
  const templates = new Map<string, TemplateValue>();
  for (const v of pkg.variables ?? []) {
    let value = resolved.values.get(v.name) ?? '';
    if (v.type === 'file' && value !== '') {
      const path = value;
      value = await readFile(path, 'utf8').catch(() => {
        throw new AirbundleError('VALUES_INVALID', `variable ${v.name} is a file variable, and ${path} cannot be read`, { hint: `pass --set ${v.name}=PATH of an existing file` });
      });
    }
    templates.set(`###ZARF_VAR_${v.name}###`, { value, ...(v.autoIndent === true ? { autoIndent: true } : {}) });
  }
  for (const c of pkg.constants ?? []) templates.set(`###ZARF_CONST_${c.name}###`, { value: c.value, ...(c.autoIndent === true ? { autoIndent: true } : {}) });
  templates.set('###ZARF_REGISTRY###', { value: registry.split('/')[0]! });
  return { templates, sensitive: resolved.sensitive };
}
