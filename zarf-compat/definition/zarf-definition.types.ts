/**
 * The parts of Zarf's package definition (`zarf.yaml`) that zarf-compat reads, in the v1alpha1 shape. v1beta1
 * definitions are converted into this shape after their imports are resolved (as Zarf itself does for the first
 * document of a built package). Fields zarf-compat does not use are kept (index signatures) so that nothing is
 * lost when a composed definition is written back out.
 * Reference: zarf-dev/zarf src/api/v1alpha1/package.go and component.go (v0.84.0); ../shared/zarf-fixtures/zarf.schema.json.
 */

/** YamlMap is any mapping read from YAML. */
export type YamlMap = Record<string, unknown>;

/** ZarfPackage is a whole `zarf.yaml` (kind ZarfPackageConfig or ZarfInitConfig). */
export interface ZarfPackage {
  apiVersion?: string;
  kind: string;
  metadata: ZarfMetadata;
  build?: YamlMap;
  components: ZarfComponent[];
  constants?: ZarfConstant[];
  variables?: ZarfVariable[];
  values?: { files?: string[]; schema?: string };
  documentation?: Record<string, string>;
  [key: string]: unknown;
}

/** ZarfMetadata is `metadata:`; `aggregateChecksum` is written by `zarf package create`. */
export interface ZarfMetadata {
  name: string;
  description?: string;
  version?: string;
  architecture?: string;
  uncompressed?: boolean;
  yolo?: boolean;
  aggregateChecksum?: string;
  [key: string]: unknown;
}

/** ZarfComponent is one entry of `components:`. */
export interface ZarfComponent {
  name: string;
  description?: string;
  default?: boolean;
  /** Defaults to false in v1alpha1 (`IsRequired()`). */
  required?: boolean;
  only?: { localOS?: string; cluster?: { architecture?: string; distros?: string[] }; flavor?: string };
  group?: string;
  import?: { name?: string; path?: string; url?: string };
  manifests?: ZarfManifest[];
  charts?: ZarfChart[];
  dataInjections?: ZarfDataInjection[];
  files?: ZarfFile[];
  images?: string[];
  imageArchives?: Array<{ path: string; images: string[] }>;
  repos?: string[];
  actions?: ZarfActions;
  healthChecks?: YamlMap[];
  scripts?: YamlMap;
  [key: string]: unknown;
}

/** ZarfManifest is `components[].manifests[]`: raw files and kustomizations applied as one generated chart. */
export interface ZarfManifest {
  name: string;
  namespace?: string;
  files?: string[];
  kustomizations?: string[];
  template?: boolean;
  noWait?: boolean;
  [key: string]: unknown;
}

/** ZarfChart is `components[].charts[]`. */
export interface ZarfChart {
  name: string;
  version?: string;
  url?: string;
  repoName?: string;
  gitPath?: string;
  localPath?: string;
  namespace?: string;
  releaseName?: string;
  valuesFiles?: string[];
  templatedValuesFiles?: string[];
  variables?: YamlMap[];
  values?: YamlMap[];
  [key: string]: unknown;
}

/** ZarfDataInjection is the deprecated `dataInjections[]`: a local path streamed into a pod by `kubectl exec | tar`. */
export interface ZarfDataInjection {
  source: string;
  target: { namespace: string; selector: string; container: string; path: string };
  compress?: boolean;
  [key: string]: unknown;
}

/** ZarfFile is `components[].files[]`: a file placed on the machine that runs the deploy. */
export interface ZarfFile {
  source: string;
  shasum?: string;
  target: string;
  executable?: boolean;
  symlinks?: string[];
  extractPath?: string;
  template?: boolean;
  [key: string]: unknown;
}

/** ZarfAction is one entry of an action list: a shell command or a wait. */
export interface ZarfAction {
  cmd?: string;
  description?: string;
  wait?: YamlMap;
  dir?: string;
  setVariables?: YamlMap[];
  setValues?: YamlMap[];
  [key: string]: unknown;
}

/** ZarfActionSet is `onCreate` / `onDeploy` / `onRemove`. */
export interface ZarfActionSet {
  defaults?: YamlMap;
  before?: ZarfAction[];
  after?: ZarfAction[];
  onSuccess?: ZarfAction[];
  onFailure?: ZarfAction[];
  [key: string]: unknown;
}

/** ZarfActions is `components[].actions`. */
export interface ZarfActions {
  onCreate?: ZarfActionSet;
  onDeploy?: ZarfActionSet;
  onRemove?: ZarfActionSet;
  [key: string]: unknown;
}

/** ZarfVariable is a deploy-time variable, used in manifests as `###ZARF_VAR_<NAME>###`. */
export interface ZarfVariable {
  name: string;
  description?: string;
  default?: string;
  prompt?: boolean;
  sensitive?: boolean;
  autoIndent?: boolean;
  pattern?: string;
  type?: 'raw' | 'file';
  [key: string]: unknown;
}

/** ZarfConstant is fixed at create time, used in manifests as `###ZARF_CONST_<NAME>###`. */
export interface ZarfConstant {
  name: string;
  value: string;
  description?: string;
  autoIndent?: boolean;
  pattern?: string;
  [key: string]: unknown;
}
