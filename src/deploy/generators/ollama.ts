import { AirbundleError } from '../../errors.js';
import type { Workload } from '../../schema/generated/bundle-spec.js';
import { targetFor } from '../../targets/name-mapping.js';
import { parseRegistryTarget } from '../../targets/registry/registry-target.js';
import type { KubeObject } from '../kube-object.js';
import { deploymentWithService, gpuResources, imageOf, modelOf, volumeOf, waitForVolume, type GeneratorContext } from './generator-context.js';

/**
 * ollama runs Ollama with its model store on a PVC in ollama layout (OLLAMA_NOPRUNE=1 when the volume is shared),
 * or, with storage oci, an init container that pulls the model from the in-cluster registry into an emptyDir
 * (the seed 000 setup, without the hand-made steps).
 */
export function ollama(w: Workload, ctx: GeneratorContext): KubeObject[] {
  const model = modelOf(w, ctx);
  const port = w.port ?? 11434;
  const image = imageOf(w, ctx, 'ollama/ollama');
  const volume = volumeOf(w, ctx);
  const storage = w.storage ?? (volume !== undefined ? 'pvc' : 'oci');
  const env: Record<string, string> = { OLLAMA_MODELS: '/models', OLLAMA_HOST: `0.0.0.0:${port}`, ...(w.env ?? {}) };
  const pod: Record<string, unknown> = {};
  if (storage === 'pvc') {
    if (volume === undefined) throw new AirbundleError('SPEC_INVALID', `workload ${w.name}: storage pvc needs volume:`);
    if ((volume.layout ?? 'hf-cache') !== 'ollama') throw new AirbundleError('SPEC_INVALID', `workload ${w.name}: volume ${volume.name} must have layout: ollama for Ollama`);
    if (volume.accessMode === 'ReadWriteMany' || volume.accessMode === 'ReadOnlyMany') env.OLLAMA_NOPRUNE = '1';
    pod.volumes = [{ name: 'models', persistentVolumeClaim: { claimName: volume.name } }];
    const init = waitForVolume(volume, 'models', '/models', ctx);
    if (init.length > 0) pod.initContainers = init;
  } else if (storage === 'oci') {
    if (model.provenance.type !== 'ollama') throw new AirbundleError('SPEC_INVALID', `workload ${w.name}: only an ollama:// model can be pulled by Ollama from the registry`);
    const { host, prefix } = parseRegistryTarget(ctx.registry);
    const { repository, tag } = targetFor(model.ref, prefix);
    const ref = `${host}/${repository}:${tag}`;
    if (repository.split('/').length > 2) {
      // ollama names are [host/][namespace/]model[:tag] (types/model/name.go): no room for a registry path prefix.
      throw new AirbundleError('SPEC_INVALID', `workload ${w.name}: Ollama cannot pull ${ref}: its model names have at most host/namespace/model, and --registry ${ctx.registry} adds a path prefix`, {
        hint: 'deploy with --registry HOST[:PORT] (no /PREFIX), or serve the model from a volume with layout: ollama',
      });
    }
    pod.volumes = [{ name: 'models', emptyDir: {} }];
    pod.initContainers = [
      {
        name: 'pull-model',
        image,
        command: ['sh', '-c', `ollama serve & for i in $(seq 1 30); do ollama list >/dev/null 2>&1 && break; sleep 1; done; ollama pull --insecure ${ref} && ollama cp ${ref} ${model.name}:${tag}`],
        env: Object.entries(env).map(([name, value]) => ({ name, value })),
        volumeMounts: [{ name: 'models', mountPath: '/models' }],
      },
    ];
  } else {
    throw new AirbundleError('SPEC_INVALID', `workload ${w.name}: ollama takes storage pvc or oci, not ${storage}`);
  }
  return deploymentWithService(w, ctx, port, {
    ...pod,
    containers: [
      {
        name: 'ollama',
        image,
        env: Object.entries(env).map(([name, value]) => ({ name, value })),
        ports: [{ name: 'http', containerPort: port }],
        volumeMounts: [{ name: 'models', mountPath: '/models' }],
        readinessProbe: { httpGet: { path: '/api/version', port }, periodSeconds: 5 },
        ...gpuResources(w),
      },
    ],
  });
}
