/**
 * addPullSecrets does for a deploy with registry credentials what Zarf does: a `kubernetes.io/dockerconfigjson`
 * Secret named `private-registry` in every namespace the package's objects use, and `imagePullSecrets:
 * [private-registry]` on every pod spec that pulls from the registry (zarf-agent sets it on the pods it
 * mutates). The Secret is made by src/deploy's `dockerConfigSecret`, so the credentials are only in its base64
 * data. Where a pod spec already names pull secrets, `private-registry` is added to them (the agent replaces the
 * list; keeping the author's entries does no harm). Pure.
 * Reference: zarf-dev/zarf src/internal/agent/hooks/pods.go (ZarfImagePullSecretName), zarf.md §3.5.
 */
import { managedLabels, type KubeObject } from '../../src/deploy/kube-object.js';
import { dockerConfigSecret } from '../../src/deploy/render.js';
import { CLUSTER_SCOPED_KINDS } from './cluster-scoped.js';

/** ZARF_PULL_SECRET is the name Zarf gives the registry pull Secret. */
export const ZARF_PULL_SECRET = 'private-registry';

/** RegistryCredentials are what nodes pull with. */
export interface RegistryCredentials {
  username: string;
  password: string;
}

/**
 * addPullSecrets returns the objects with the pull Secrets added (after the Namespace objects, before the rest)
 * and the pod specs that pull from `registry` (`HOST[:PORT][/PREFIX]`) pointed at them. Objects are patched in place.
 */
export function addPullSecrets(objects: KubeObject[], registry: string, creds: RegistryCredentials, pkgName: string): KubeObject[] {
  const host = registry.split('/')[0]!;
  const namespaces = new Set<string | undefined>();
  for (const o of objects) {
    if (o.kind === 'Namespace') namespaces.add(o.metadata.name);
    else if (!CLUSTER_SCOPED_KINDS.has(o.kind)) namespaces.add(o.metadata.namespace);
    patchPodSpecs(o, host);
  }
  const secrets = [...namespaces].map((ns) =>
    dockerConfigSecret(registry, creds, { name: ZARF_PULL_SECRET, ...(ns !== undefined ? { namespace: ns } : {}), labels: managedLabels(pkgName, 'registry-credentials') }),
  );
  const isNamespace = (o: KubeObject): boolean => o.kind === 'Namespace';
  return [...objects.filter(isNamespace), ...secrets, ...objects.filter((o) => !isNamespace(o))];
}

/** patchPodSpecs adds the pull secret to every pod spec under `node` with an image on `host`. */
function patchPodSpecs(node: unknown, host: string): void {
  if (Array.isArray(node)) {
    for (const item of node) patchPodSpecs(item, host);
    return;
  }
  if (node === null || typeof node !== 'object') return;
  const rec = node as Record<string, unknown>;
  if (Array.isArray(rec.containers) && imagesOf(rec).some((i) => i.startsWith(`${host}/`))) {
    const list = Array.isArray(rec.imagePullSecrets) ? (rec.imagePullSecrets as unknown[]) : [];
    if (!list.some((s) => s !== null && typeof s === 'object' && (s as { name?: unknown }).name === ZARF_PULL_SECRET)) list.push({ name: ZARF_PULL_SECRET });
    rec.imagePullSecrets = list;
  }
  for (const value of Object.values(rec)) patchPodSpecs(value, host);
}

/** imagesOf lists the images a pod spec pulls: containers of every kind and image volumes. */
function imagesOf(spec: Record<string, unknown>): string[] {
  const out: string[] = [];
  for (const key of ['containers', 'initContainers', 'ephemeralContainers']) {
    const list = spec[key];
    if (Array.isArray(list)) for (const c of list) if (c !== null && typeof c === 'object' && typeof (c as { image?: unknown }).image === 'string') out.push((c as { image: string }).image);
  }
  if (Array.isArray(spec.volumes)) {
    for (const v of spec.volumes) {
      const ref = v !== null && typeof v === 'object' ? (v as { image?: { reference?: unknown } }).image?.reference : undefined;
      if (typeof ref === 'string') out.push(ref);
    }
  }
  return out;
}
