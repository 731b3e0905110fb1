/**
 * loadZarfDefinition is the read side of `bundle zarf import`: read `zarf.yaml` (v1alpha1 or v1beta1), resolve
 * local component imports with Zarf's semantics for the chosen architecture and flavor, fill create-time package
 * templates, and return one composed v1alpha1-shaped package plus what could not be composed.
 */
import { readFile } from 'node:fs/promises';
import { arch as hostArch } from 'node:os';
import { dirname, resolve } from 'node:path';
import { AirbundleError } from '../../src/errors.js';
import { resolveImportsV1alpha1, type ComposeNote } from './compose-v1alpha1.js';
import { resolveImportsV1beta1 } from './compose-v1beta1.js';
import { fillPackageTemplates } from './package-templates.js';
import { assertV1alpha1Package, isV1beta1, parseDefinitionDocument } from './parse-definition.js';
import { v1beta1ToV1alpha1 } from './v1beta1-to-v1alpha1.js';
import type { ZarfPackage } from './zarf-definition.types.js';

/** LoadDefinitionOptions for {@link loadZarfDefinition}. */
export interface LoadDefinitionOptions {
  /** Only components without a flavor or with this one (default: none, as `zarf package create` without --flavor). */
  flavor?: string;
  /** Target architecture (default: metadata.architecture, else this machine's, as Zarf). */
  arch?: string;
  /** Values of `###ZARF_PKG_TMPL_<KEY>###` templates. */
  set?: Record<string, string>;
}

/** LoadedDefinition is a composed definition and where it came from. */
export interface LoadedDefinition {
  pkg: ZarfPackage;
  /** `zarf.dev/v1alpha1` or `zarf.dev/v1beta1`, as written. */
  apiVersion: string;
  /** Absolute path of zarf.yaml and its directory (relative resource paths resolve against it). */
  file: string;
  dir: string;
  arch: string;
  flavor: string;
  notes: ComposeNote[];
  /** Package templates with no value. */
  unresolvedTemplates: string[];
  /** Values schemas of imports (Zarf merges them at create time; not part of the composed zarf.yaml). */
  importedSchemas: string[];
}

/** goArch maps Node's architecture names onto Go's, which Zarf uses. */
export function goArch(nodeArch: string = hostArch()): string {
  return ({ x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386', ppc64: 'ppc64le', s390x: 's390x' } as Record<string, string>)[nodeArch] ?? nodeArch;
}

/** loadZarfDefinition reads and composes a `zarf.yaml` (a file, or a directory holding one). */
export async function loadZarfDefinition(path: string, options: LoadDefinitionOptions = {}): Promise<LoadedDefinition> {
  const file = resolve(path.endsWith('.yaml') || path.endsWith('.yml') ? path : `${path}/zarf.yaml`);
  const text = await readFile(file, 'utf8').catch((err: unknown) => {
    throw new AirbundleError('SPEC_NOT_FOUND', `cannot read the Zarf package definition ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, {
      hint: 'give the path of a zarf.yaml, or of the directory holding it',
    });
  });
  const doc = parseDefinitionDocument(text, file);
  const dir = dirname(file);
  const flavor = options.flavor ?? '';
  const meta = doc.metadata !== null && typeof doc.metadata === 'object' ? (doc.metadata as Record<string, unknown>) : {};
  const arch = options.arch ?? (typeof meta.architecture === 'string' && meta.architecture !== '' ? meta.architecture : goArch());
  const target = { arch, flavor };
  let pkg: ZarfPackage;
  let notes: ComposeNote[];
  let importedSchemas: string[];
  const apiVersion = isV1beta1(doc) ? 'zarf.dev/v1beta1' : 'zarf.dev/v1alpha1';
  if (isV1beta1(doc)) {
    if (doc.kind !== 'ZarfPackageConfig' && doc.kind !== 'ZarfInitConfig') {
      throw new AirbundleError('ZARF_DEFINITION_INVALID', `${file}: kind ${JSON.stringify(doc.kind)} is not a package (import component configs through a package)`);
    }
    for (const dropped of ['variables', 'constants']) {
      if (doc[dropped] !== undefined) throw new AirbundleError('ZARF_DEFINITION_INVALID', `${file}: ${dropped} is not supported in zarf.dev/v1beta1`);
    }
    const composed = await resolveImportsV1beta1(doc, file, target);
    pkg = v1beta1ToV1alpha1(composed.doc);
    assertV1alpha1Package(pkg, file);
    ({ notes, importedSchemas } = composed);
  } else {
    assertV1alpha1Package(doc, file);
    ({ pkg, notes, importedSchemas } = await resolveImportsV1alpha1(doc, dir, target));
  }
  if (pkg.components.length === 0) {
    throw new AirbundleError('ZARF_DEFINITION_INVALID', `${file} has no component for architecture ${arch}${flavor !== '' ? ` and flavor ${flavor}` : ' without a flavor'}`, {
      hint: flavorHint(doc),
    });
  }
  const filled = fillPackageTemplates(pkg, options.set ?? {});
  return { pkg: filled.value, apiVersion, file, dir, arch, flavor, notes, unresolvedTemplates: filled.unresolved, importedSchemas };
}

function flavorHint(doc: Record<string, unknown>): string {
  const flavors = new Set<string>();
  for (const c of Array.isArray(doc.components) ? (doc.components as Array<Record<string, unknown>>) : []) {
    const only = c.only as { flavor?: unknown } | undefined;
    const sel = c.selector as { flavor?: unknown } | undefined;
    for (const f of [only?.flavor, sel?.flavor]) if (typeof f === 'string') flavors.add(f);
  }
  return flavors.size > 0 ? `pass --flavor, one of: ${[...flavors].join(', ')}` : 'pass --arch for the architecture the components are for';
}
