/**
 * renderComponents turns the manifests a Zarf package ships (`<component>/manifests/<name>-<i>.yaml` in its
 * component tars) into Kubernetes objects, the way a deploy with zarf-agent ends up: templates filled, objects
 * without a namespace put in their manifest's namespace (created if nothing else defines it), and every image the
 * package carries rewritten to where it was pushed (`HOST/path:tag-zarf-<crc32>@sha256:…`, the agent's name pinned
 * by digest). Images the package does not carry are left as written and reported. Pure.
 */
import { parseAllDocuments } from 'yaml';
import { isKubeObject, objectId, type KubeObject } from '../../src/deploy/kube-object.js';
import { AirbundleError } from '../../src/errors.js';
import type { ZarfComponent } from '../definition/zarf-definition.types.js';
import { parseZarfImageRef } from '../image/zarf-image-ref.js';
import type { ReportItem } from '../import/import-report.types.js';
import type { ComponentContent } from '../package/component-reader.js';
import { CLUSTER_SCOPED_KINDS } from './cluster-scoped.js';
import { fillZarfTemplates, type TemplateValue } from './fill-templates.js';

/** RenderInput is everything rendering needs, already loaded and checked. */
export interface RenderInput {
  components: ZarfComponent[];
  content: Map<string, ComponentContent>;
  templates: Map<string, TemplateValue>;
  /** Normalized image reference → the pinned in-registry reference. */
  images: Map<string, string>;
}

/** RenderedPackage is the objects in apply order and what needs the operator's attention. */
export interface RenderedPackage {
  objects: KubeObject[];
  report: ReportItem[];
}

/** renderComponents renders the manifests of `components`, in order. */
export function renderComponents(input: RenderInput): RenderedPackage {
  const objects: KubeObject[] = [];
  const report: ReportItem[] = [];
  const namespaces: string[] = [];
  for (const c of input.components) {
    const content = input.content.get(c.name);
    for (const m of c.manifests ?? []) {
      if (m.namespace !== undefined && !namespaces.includes(m.namespace)) namespaces.push(m.namespace);
      const files = [...(m.files ?? []).map((_f, i) => `manifests/${m.name}-${i}.yaml`), ...(m.kustomizations ?? []).map((_k, i) => `manifests/kustomization-${m.name}-${i}.yaml`)];
      for (const file of files) {
        const where = `components/${c.name}.tar: ${c.name}/${file}`;
        const bytes = content?.manifests.get(file);
        if (bytes === undefined) throw new AirbundleError('ZARF_PACKAGE_CORRUPT', `component ${c.name} lists manifest ${m.name}, but ${where} is missing`, { details: { file: `components/${c.name}.tar` } });
        const filled = fillZarfTemplates(bytes.toString('utf8'), input.templates);
        for (const u of filled.unknown) report.push({ kind: 'warning', where, message: `${u} names no variable, constant or built-in: left as written` });
        for (const [i, doc] of parseAllDocuments(filled.text).entries()) {
          if (doc.errors.length > 0) throw new AirbundleError('MANIFEST_INVALID', `${where} (document ${i + 1}) is not valid YAML once filled: ${doc.errors[0]!.message.split('\n')[0]}`);
          const value: unknown = doc.toJS();
          if (value === null || value === undefined) continue;
          if (!isKubeObject(value)) throw new AirbundleError('MANIFEST_INVALID', `${where} (document ${i + 1}) is not a Kubernetes object: it needs apiVersion, kind and metadata.name`);
          if (m.namespace !== undefined && value.metadata.namespace === undefined && !CLUSTER_SCOPED_KINDS.has(value.kind)) value.metadata.namespace = m.namespace;
          rewriteImages(value, input.images, `${where}: ${objectId(value)}`, report);
          objects.push(value);
        }
      }
    }
  }
  const defined = new Set(objects.filter((o) => o.kind === 'Namespace').map((o) => o.metadata.name));
  const created = namespaces.filter((ns) => !defined.has(ns)).map((ns): KubeObject => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } }));
  const all = [...created, ...objects];
  const seen = new Set<string>();
  for (const o of all) {
    const id = objectId(o);
    if (seen.has(id)) throw new AirbundleError('MANIFEST_INVALID', `${id} is defined twice in the package's manifests`);
    seen.add(id);
  }
  return { objects: all, report };
}

/** rewriteImages points container images and image volumes at the registry, as zarf-agent would. */
function rewriteImages(node: unknown, images: Map<string, string>, where: string, report: ReportItem[]): void {
  if (Array.isArray(node)) {
    for (const item of node) rewriteImages(item, images, where, report);
    return;
  }
  if (node === null || typeof node !== 'object') return;
  const rec = node as Record<string, unknown>;
  const swap = (holder: Record<string, unknown>, key: string, what: string): void => {
    const image = holder[key];
    if (typeof image !== 'string') return;
    let normalized: string | undefined;
    try {
      normalized = parseZarfImageRef(image).reference;
    } catch {
      normalized = undefined;
    }
    const target = normalized !== undefined ? images.get(normalized) : undefined;
    if (target !== undefined) holder[key] = target;
    else report.push({ kind: 'warning', where, message: `${what} uses image ${image}, which the package does not carry: left as written`, hint: 'with zarf-agent in the cluster it is rewritten to the registry anyway, where it does not exist' });
  };
  for (const key of ['containers', 'initContainers', 'ephemeralContainers']) {
    const list = rec[key];
    if (Array.isArray(list)) for (const c of list) if (c !== null && typeof c === 'object') swap(c as Record<string, unknown>, 'image', `container ${String((c as { name?: unknown }).name)}`);
  }
  const volumes = rec.volumes;
  if (Array.isArray(volumes)) {
    for (const v of volumes) {
      const img = v !== null && typeof v === 'object' ? (v as { image?: unknown }).image : undefined;
      if (img !== null && typeof img === 'object') swap(img as Record<string, unknown>, 'reference', `image volume ${String((v as { name?: unknown }).name)}`);
    }
  }
  for (const value of Object.values(rec)) rewriteImages(value, images, where, report);
}
