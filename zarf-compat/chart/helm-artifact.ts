/**
 * helmArtifact describes a chart archive as `helm push` stores it in a registry: config
 * `application/vnd.cncf.helm.config.v1+json` = Chart.yaml's metadata as helm marshals it (Go field order, empty
 * fields left out, HTML characters escaped as Go's encoder does), one layer
 * `application/vnd.cncf.helm.chart.content.v1.tar+gzip` = the .tgz bytes unchanged, and an OCI image manifest
 * (no `mediaType` field, as helm writes it) annotated with the chart's title, version, description, url,
 * created, source and authors, plus the chart's own annotations. Tag: the version with `+` as `_`. Pure.
 * Reference: helm/helm pkg/registry/client.go (Push, tagManifest), pkg/registry/util.go
 * (generateChartOCIAnnotations), pkg/chart/metadata.go (Metadata field order).
 */
import { createHash } from 'node:crypto';
import { parse } from 'yaml';
import type { Descriptor } from '../../src/content/descriptor.js';
import { digestFromHex, type Digest } from '../../src/content/digest.js';
import { AirbundleError } from '../../src/errors.js';

/** Media types of a Helm chart in a registry. */
export const HELM_CONFIG_MEDIA_TYPE = 'application/vnd.cncf.helm.config.v1+json';
export const HELM_CHART_MEDIA_TYPE = 'application/vnd.cncf.helm.chart.content.v1.tar+gzip';
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';

/** HelmArtifact is a chart as helm pushes it. */
export interface HelmArtifact {
  name: string;
  version: string;
  /** The version with `+` replaced by `_` (OCI tags cannot hold `+`). */
  tag: string;
  config: { desc: Descriptor; bytes: Buffer };
  layer: Descriptor;
  manifest: { desc: Descriptor; bytes: Buffer };
}

type Yaml = Record<string, unknown>;

/**
 * helmArtifact builds the artifact of the chart whose Chart.yaml is `chartYaml` and whose archive has `layer`'s
 * digest and size. `created` (RFC 3339) goes in `org.opencontainers.image.created`; helm uses the time of the push,
 * we use the package's build time so that a re-deploy pushes the same manifest. Throws ZARF_PACKAGE_CORRUPT for a
 * Chart.yaml without name or version.
 */
export function helmArtifact(chartYaml: Buffer, layer: { digest: Digest; size: number }, where: string, created?: string): HelmArtifact {
  let doc: unknown;
  try {
    doc = parse(chartYaml.toString('utf8'));
  } catch (err) {
    throw new AirbundleError('ZARF_PACKAGE_CORRUPT', `${where}: Chart.yaml is not YAML: ${(err as Error).message.split('\n')[0]}`);
  }
  const meta = (doc !== null && typeof doc === 'object' ? doc : {}) as Yaml;
  const name = str(meta.name);
  const version = str(meta.version);
  if (name === undefined || version === undefined) throw new AirbundleError('ZARF_PACKAGE_CORRUPT', `${where}: Chart.yaml needs a name and a version`);
  const config = Buffer.from(goJson(helmMetadata(meta)));
  const configDesc: Descriptor = { mediaType: HELM_CONFIG_MEDIA_TYPE, digest: sha256(config), size: config.length };
  const layerDesc: Descriptor = { mediaType: HELM_CHART_MEDIA_TYPE, digest: layer.digest, size: layer.size };
  const manifest = Buffer.from(goJson({ schemaVersion: 2, config: configDesc, layers: [layerDesc], annotations: sortKeys(helmAnnotations(meta, created)) }));
  return {
    name,
    version,
    tag: version.replaceAll('+', '_'),
    config: { desc: configDesc, bytes: config },
    layer: layerDesc,
    manifest: { desc: { mediaType: OCI_MANIFEST, digest: sha256(manifest), size: manifest.length }, bytes: manifest },
  };
}

/** helmMetadata orders and filters Chart.yaml as helm's chart.Metadata marshals (omitempty everywhere). */
function helmMetadata(m: Yaml): Yaml {
  const out: Yaml = {};
  const put = (key: string, value: unknown): void => {
    if (value === undefined || value === '' || value === false || (Array.isArray(value) && value.length === 0) || (isMap(value) && Object.keys(value).length === 0)) return;
    out[key] = value;
  };
  put('name', str(m.name));
  put('home', str(m.home));
  put('sources', strings(m.sources));
  put('version', str(m.version));
  put('description', str(m.description));
  put('keywords', strings(m.keywords));
  put('maintainers', Array.isArray(m.maintainers) ? m.maintainers.filter(isMap).map((x) => dropEmpty({ name: str(x.name), email: str(x.email), url: str(x.url) })) : undefined);
  put('icon', str(m.icon));
  put('apiVersion', str(m.apiVersion) ?? 'v1');
  put('condition', str(m.condition));
  put('tags', str(m.tags));
  put('appVersion', str(m.appVersion));
  put('deprecated', m.deprecated === true);
  put('annotations', isMap(m.annotations) ? sortKeys(Object.fromEntries(Object.entries(m.annotations).map(([k, v]) => [k, str(v) ?? '']))) : undefined);
  put('kubeVersion', str(m.kubeVersion));
  put('dependencies', Array.isArray(m.dependencies) ? m.dependencies.filter(isMap).map(dependency) : undefined);
  put('type', str(m.type));
  return out;
}

function dependency(d: Yaml): Yaml {
  return {
    name: str(d.name) ?? '',
    ...dropEmpty({ version: str(d.version) }),
    repository: str(d.repository) ?? '',
    ...dropEmpty({ condition: str(d.condition), tags: strings(d.tags), enabled: d.enabled === true ? true : undefined, 'import-values': Array.isArray(d['import-values']) ? d['import-values'] : undefined, alias: str(d.alias) }),
  };
}

/** helmAnnotations are helm's manifest annotations (generateOCIAnnotations). */
function helmAnnotations(m: Yaml, created: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  const add = (k: string, v: string | undefined): void => {
    if (v !== undefined && v.trim() !== '') out[k] = v;
  };
  add('org.opencontainers.image.description', str(m.description));
  add('org.opencontainers.image.title', str(m.name));
  add('org.opencontainers.image.version', str(m.version));
  add('org.opencontainers.image.url', str(m.home));
  add('org.opencontainers.image.created', created);
  add('org.opencontainers.image.source', strings(m.sources)?.[0]);
  const maintainers = Array.isArray(m.maintainers) ? m.maintainers.filter(isMap) : [];
  add('org.opencontainers.image.authors', maintainers.map((x) => `${str(x.name) ?? ''}${str(x.email) !== undefined ? ` (${str(x.email)})` : ''}`).join(', '));
  const immutable = new Set(['org.opencontainers.image.version', 'org.opencontainers.image.title']);
  if (isMap(m.annotations)) for (const [k, v] of Object.entries(m.annotations)) if (!immutable.has(k)) out[k] = str(v) ?? '';
  return out;
}

/** goJson is JSON as Go's encoding/json writes it: compact, `<`, `>`, `&`, U+2028/9 escaped. */
export function goJson(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function str(v: unknown): string | undefined {
  if (typeof v === 'string') return v === '' ? undefined : v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return undefined;
}

function strings(v: unknown): string[] | undefined {
  return Array.isArray(v) ? v.map((x) => str(x) ?? '') : undefined;
}

function isMap(v: unknown): v is Yaml {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function dropEmpty(o: Record<string, unknown>): Yaml {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
}

function sortKeys(o: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

function sha256(b: Buffer): Digest {
  return digestFromHex(createHash('sha256').update(b).digest('hex'));
}
