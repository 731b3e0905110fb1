import { AirbundleError } from '../../errors.js';
import type { Workload } from '../../schema/generated/bundle-spec.js';
import type { KubeObject } from '../kube-object.js';
import { imageOf, meta, podExtras, type GeneratorContext } from './generator-context.js';

/**
 * prepull warms the selected nodes (e.g. GPU nodes, by nodeSelector and tolerations) with content from the
 * in-cluster registry: a DaemonSet whose init containers each start one image and exit at once, and whose small
 * `hold` container mounts every model named as a Kubernetes ImageVolume (so the kubelet pulls the model artifact
 * onto the node too), then sleeps. Every node that matches holds images and models before a workload needs them
 * (seed 001).
 */
export function prepull(w: Workload, ctx: GeneratorContext): KubeObject[] {
  const names = w.images ?? [];
  if (names.length === 0) throw new AirbundleError('SPEC_INVALID', `workload ${w.name}: prepull needs images: (names of images or models in this bundle)`);
  const labels = { 'app.kubernetes.io/instance': w.name };
  const m = meta(w.name, ctx, 'prepull');
  const where = `workload ${w.name}`;
  const images = names.filter((n) => ctx.images.artifact(n)?.kind !== 'model');
  const models = names.filter((n) => ctx.images.artifact(n)?.kind === 'model');
  const volumes = models.map((name, i) => ({ name: `model-${i}`, image: { reference: ctx.images.resolve(name, where), pullPolicy: 'IfNotPresent' } }));
  return [
    {
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata: m,
      spec: {
        selector: { matchLabels: labels },
        template: {
          metadata: { labels: { ...m.labels, ...labels } },
          spec: {
            ...podExtras(w, ctx),
            ...(images.length > 0
              ? {
                  initContainers: images.map((name, i) => ({
                    name: `pull-${i}`,
                    image: ctx.images.resolve(name, where),
                    imagePullPolicy: 'IfNotPresent',
                    command: ['sh', '-c', 'exit 0'],
                    resources: { requests: { cpu: '1m', memory: '8Mi' } },
                  })),
                }
              : {}),
            containers: [
              {
                name: 'hold',
                image: imageOf(w, ctx, 'busybox'),
                command: ['sh', '-c', 'while true; do sleep 3600; done'],
                resources: { requests: { cpu: '1m', memory: '8Mi' } },
                ...(volumes.length > 0 ? { volumeMounts: volumes.map((v) => ({ name: v.name, mountPath: `/prepull/${v.name}`, readOnly: true })) } : {}),
              },
            ],
            ...(volumes.length > 0 ? { volumes } : {}),
          },
        },
      },
    },
  ];
}
