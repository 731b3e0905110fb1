import { readFile } from 'node:fs/promises';
import { parse } from 'yaml';
import { AirbundleError } from '../errors.js';
import type { Variable } from '../schema/generated/bundle-spec.js';

/** Values are the resolved deploy variables; `sensitive` names those never to print. */
export interface Values {
  values: Map<string, string>;
  sensitive: Set<string>;
}

/** parseSets reads `--set KEY=VALUE` flags. */
export function parseSets(sets: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const s of sets) {
    const eq = s.indexOf('=');
    if (eq <= 0) throw new AirbundleError('USAGE', `--set "${s}" is not KEY=VALUE`);
    out[s.slice(0, eq)] = s.slice(eq + 1);
  }
  return out;
}

/** readValuesFile reads a flat YAML map of variable values (`--values FILE`). */
export async function readValuesFile(path: string): Promise<Record<string, string>> {
  const text = await readFile(path, 'utf8').catch(() => {
    throw new AirbundleError('USAGE', `cannot read the values file ${path}`);
  });
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (err) {
    throw new AirbundleError('VALUES_INVALID', `${path} is not valid YAML: ${(err as Error).message.split('\n')[0]}`);
  }
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== 'object' || Array.isArray(doc)) throw new AirbundleError('VALUES_INVALID', `${path} must be a map of NAME: value`);
  return Object.fromEntries(Object.entries(doc as Record<string, unknown>).map(([k, v]) => [k, String(v)]));
}

/**
 * resolveValues checks given values against the spec's variables before anything is touched: unknown names,
 * missing required values and pattern mismatches are all reported at once. Pure.
 */
export function resolveValues(defs: Variable[], given: Record<string, string>): Values {
  const problems: string[] = [];
  const values = new Map<string, string>();
  const sensitive = new Set<string>();
  const known = new Set(defs.map((d) => d.name));
  for (const name of Object.keys(given)) if (!known.has(name)) problems.push(`"${name}" is not a variable of this bundle (known: ${[...known].join(', ') || 'none'})`);
  for (const d of defs) {
    if (d.sensitive === true) sensitive.add(d.name);
    const value = given[d.name] ?? d.default;
    if (value === undefined) {
      if (d.required === true) problems.push(`"${d.name}" is required${d.description !== undefined ? ` (${d.description})` : ''}: pass --set ${d.name}=…`);
      continue;
    }
    if (d.pattern !== undefined && !new RegExp(`^(?:${d.pattern})$`).test(value)) {
      problems.push(`"${d.name}" ${d.sensitive === true ? 'has a value that' : `= "${value}"`} does not match ${d.pattern}`);
      continue;
    }
    values.set(d.name, value);
  }
  if (problems.length > 0) {
    throw new AirbundleError('VALUES_INVALID', `deploy variables: ${problems.join('; ')}`, { hint: 'nothing was deployed; fix the values and run again' });
  }
  return { values, sensitive };
}

/** substitute replaces `${NAME}` with values; an unknown name is an error naming where it was found. */
export function substitute(text: string, values: Values, where: string): string {
  return text.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_m, name: string) => {
    const v = values.values.get(name);
    if (v === undefined) throw new AirbundleError('VALUES_INVALID', `${where} uses \${${name}}, which has no value`, { hint: `declare it under deploy.variables and pass --set ${name}=…` });
    return v;
  });
}
