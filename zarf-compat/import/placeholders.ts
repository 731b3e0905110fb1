/**
 * Deploy-time text templates of Zarf manifests, turned into bundle variables: `###ZARF_VAR_<NAME>###` and
 * `###ZARF_CONST_<NAME>###` become `${NAME}`, and Zarf's built-ins (`###ZARF_REGISTRY###`, …) become variables
 * of the same name. A `${NAME}` already in the text (shell snippets in ConfigMaps) would be taken for a bundle
 * variable, so each such name is declared as a pass-through variable whose default is the literal text.
 * Reference: zarf-dev/zarf src/pkg/variables/templates.go (regex `###ZARF_[A-Z0-9_]+###`),
 * src/internal/packager/template/template.go (built-ins); src/deploy/values.ts (`${NAME}` substitution).
 */

/** Every Zarf deploy-time template. */
export const ZARF_TEMPLATE = /###ZARF_([A-Z0-9_]+)###/g;
const BUNDLE_VARIABLE = /\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

/** Built-in templates Zarf fills from its cluster state, with what they hold. */
export const ZARF_BUILTINS: Record<string, string> = {
  REGISTRY: 'address of the in-cluster registry, as nodes reach it',
  NODEPORT: 'NodePort of the Zarf registry',
  REGISTRY_PORT: 'port of the in-cluster registry',
  REGISTRY_AUTH_PUSH: 'push password of the registry',
  REGISTRY_AUTH_PULL: 'pull password of the registry',
  GIT_PUSH: 'push user of the git server',
  GIT_AUTH_PUSH: 'push password of the git server',
  GIT_AUTH_PULL: 'pull password of the git server',
  STORAGE_CLASS: 'storage class for volumes',
  IPV6_ONLY: 'whether the cluster is IPv6-only',
  REGISTRY_PROXY: 'whether the registry runs in proxy mode',
  REGISTRY_MTLS_ENABLED: 'whether the registry uses mTLS',
  DATA_INJECTION_MARKER: 'marker file of data injections',
};

/** PlaceholderNames map Zarf names onto bundle variable names. */
export interface PlaceholderNames {
  /** Zarf variable name → bundle variable name. */
  variables: Map<string, string>;
  /** Zarf constant name → bundle variable name. */
  constants: Map<string, string>;
}

/** Converted is manifest text with bundle placeholders, and every name it uses. */
export interface Converted {
  text: string;
  /** Bundle variable names used for Zarf variables and constants. */
  used: Set<string>;
  /** Built-ins used (`REGISTRY` for `###ZARF_REGISTRY###`). */
  builtins: Set<string>;
  /** `${NAME}` found in the original text: declared as pass-through variables. */
  literal: Set<string>;
  /** `###ZARF_…###` that name nothing known (left as written). */
  unknown: Set<string>;
}

/** convertPlaceholders rewrites Zarf deploy-time templates into `${NAME}`. Pure. */
export function convertPlaceholders(text: string, names: PlaceholderNames): Converted {
  const out: Converted = { text, used: new Set(), builtins: new Set(), literal: new Set(), unknown: new Set() };
  for (const m of text.matchAll(BUNDLE_VARIABLE)) out.literal.add(m[1]!);
  out.text = text.replace(ZARF_TEMPLATE, (whole, key: string) => {
    const v = key.startsWith('VAR_') ? names.variables.get(key.slice(4)) : undefined;
    const c = key.startsWith('CONST_') ? names.constants.get(key.slice(6)) : undefined;
    const name = v ?? c;
    if (name !== undefined) {
      out.used.add(name);
      return `\${${name}}`;
    }
    if (ZARF_BUILTINS[key] !== undefined) {
      out.builtins.add(key);
      return `\${ZARF_${key}}`;
    }
    out.unknown.add(whole);
    return whole;
  });
  return out;
}

/** bundleVariableName turns a Zarf variable name (`^[A-Z0-9_]+$`) into a bundle one (no leading digit). */
export function bundleVariableName(zarfName: string): string {
  return /^[0-9]/.test(zarfName) ? `V_${zarfName}` : zarfName;
}
