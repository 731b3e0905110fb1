/**
 * Create-time package templates: `###ZARF_PKG_TMPL_<KEY>###` (and the deprecated `###ZARF_PKG_VAR_<KEY>###`)
 * anywhere in a definition's strings, given with `--set KEY=VALUE` (Zarf: `package create --set`).
 * Reference: zarf-dev/zarf src/config/lang/english.go (PkgValidateTemplateDeprecation); zarf.md §2.4.
 */

const PKG_TEMPLATE = /###ZARF_PKG_(?:TMPL|VAR)_([A-Z0-9_]+)###/g;

/** FilledTemplates is a value with its templates filled, and the keys that had no value (left as written). */
export interface FilledTemplates<T> {
  value: T;
  unresolved: string[];
}

/** fillPackageTemplates replaces package templates in every string of a JSON value. Pure. */
export function fillPackageTemplates<T>(value: T, set: Record<string, string>): FilledTemplates<T> {
  const unresolved = new Set<string>();
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') {
      return v.replace(PKG_TEMPLATE, (whole, key: string) => {
        const given = set[key];
        if (given === undefined) {
          unresolved.add(key);
          return whole;
        }
        return given;
      });
    }
    if (Array.isArray(v)) return v.map(walk);
    if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    return v;
  };
  return { value: walk(value) as T, unresolved: [...unresolved].sort() };
}

/** hasPackageTemplate tells whether a string still holds an unfilled package template. */
export function hasPackageTemplate(s: string): boolean {
  return new RegExp(PKG_TEMPLATE.source).test(s);
}
