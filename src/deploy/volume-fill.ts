import { AirbundleError } from '../errors.js';
import type { MaterializePlan } from '../materialize/materialize-plan.js';
import { pullScript } from '../materialize/pull-script.js';
import type { Volume } from '../schema/generated/bundle-spec.js';
import { targetFor } from '../targets/name-mapping.js';
import { parseRegistryTarget } from '../targets/registry/registry-target.js';
import type { GeneratorContext } from './generators/generator-context.js';
import { managedLabels, type KubeObject } from './kube-object.js';

/** Name of the Secret holding `user:password` for pull scripts, when the registry needs credentials. */
export const BASIC_AUTH_SECRET = 'airbundle-registry-basic';
const MOUNT = '/data';

/**
 * pullFillObjects fills a model volume inside the cluster (transport pull): a ConfigMap with the busybox pull
 * script and a Job that runs it with the PVC mounted, fetching every file from the in-cluster registry,
 * checking its sha256 and renaming it into place, marker last. Re-running the Job on a filled volume changes
 * nothing. Pure.
 */
export function pullFillObjects(v: Volume, plan: MaterializePlan, modelRef: string, loaderImage: string, ctx: GeneratorContext, plainHttp: boolean, withAuth: boolean): KubeObject[] {
  const { host, prefix } = parseRegistryTarget(ctx.registry);
  const script = pullScript(plan, { registry: host, repository: targetFor(modelRef, prefix).repository, plainHttp });
  if (script.length > 900 * 1024) {
    throw new AirbundleError('MANIFEST_INVALID', `volume ${v.name}: the pull script is ${Math.round(script.length / 1024)} KiB, over what a ConfigMap holds`, { hint: 'use transport: stream for models with this many small files' });
  }
  const labels = managedLabels(ctx.bundle, 'volume-fill');
  const name = `${v.name}-fill`;
  return [
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: ctx.namespace, labels }, data: { 'pull.sh': script } },
    {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name, namespace: ctx.namespace, labels, annotations: { 'airbundle.dev/done': plan.done.toString('utf8').trim().slice(0, 200) } },
      spec: {
        backoffLimit: 4,
        template: {
          metadata: { labels },
          spec: {
            restartPolicy: 'OnFailure',
            ...(ctx.pullSecret !== undefined ? { imagePullSecrets: [{ name: ctx.pullSecret }] } : {}),
            containers: [
              {
                name: 'fill',
                image: loaderImage,
                command: ['sh', '/airbundle/pull.sh', MOUNT],
                ...(withAuth ? { env: [{ name: 'AIRBUNDLE_BASIC_AUTH', valueFrom: { secretKeyRef: { name: BASIC_AUTH_SECRET, key: 'auth' } } }] } : {}),
                volumeMounts: [
                  { name: 'model', mountPath: MOUNT },
                  { name: 'script', mountPath: '/airbundle', readOnly: true },
                ],
              },
            ],
            volumes: [
              { name: 'model', persistentVolumeClaim: { claimName: v.name } },
              { name: 'script', configMap: { name } },
            ],
          },
        },
      },
    },
  ];
}

/** basicAuthSecret carries `user:password` (base64) for pull scripts, never inside the script itself. */
export function basicAuthSecret(creds: { username: string; password: string }, ctx: GeneratorContext): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: BASIC_AUTH_SECRET, namespace: ctx.namespace, labels: managedLabels(ctx.bundle, 'registry-credentials') },
    type: 'Opaque',
    data: { auth: Buffer.from(Buffer.from(`${creds.username}:${creds.password}`).toString('base64')).toString('base64') },
  };
}
