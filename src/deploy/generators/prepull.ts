import { AirbundleError } from '../../errors.js';
import type { Workload } from '../../schema/generated/bundle-spec.js';
import type { KubeObject } from '../kube-object.js';
import { imageOf, meta, podExtras, type GeneratorContext } from './generator-context.js';

/**
 * prepull warms the selected nodes (e.g. GPU nodes, by nodeSelector and tolerations) with images from the
 * in-cluster registry: a DaemonSet whose init containers each start one image and exit at once, then a tiny
 * container that sleeps, so every node that matches holds the images before a workload needs them (seed 001).
 */
export function prepull(w: Workload, ctx: GeneratorContext): KubeObject[] {
  const images = w.images ?? [];
  if (images.length === 0) throw new AirbundleError('SPEC_INVALID', `workload ${w.name}: prepull needs images: (names of images in this bundle)`);
  const labels = { 'app.kubernetes.io/instance': w.name };
  const m = meta(w.name, ctx, 'prepull');
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
            initContainers: images.map((name, i) => ({
              name: `pull-${i}`,
              image: ctx.images.resolve(name, `workload ${w.name}`),
              imagePullPolicy: 'IfNotPresent',
              command: ['sh', '-c', 'exit 0'],
              resources: { requests: { cpu: '1m', memory: '8Mi' } },
            })),
            containers: [{ name: 'hold', image: imageOf(w, ctx, 'busybox'), command: ['sh', '-c', 'while true; do sleep 3600; done'], resources: { requests: { cpu: '1m', memory: '8Mi' } } }],
          },
        },
      },
    },
  ];
}
