import type { Readable } from 'node:stream';
import { createFileTarStream, type FileTarStreamOptions } from './file-tar-stream.js';
import { loaderScript } from './loader-script.js';
import type { MaterializePlan } from './materialize-plan.js';
import { pullScript, type PullScriptOptions } from './pull-script.js';
import { readStagingReport, stagingProbe } from './staging-probe.js';
import { planStream, type StreamPlan } from './stream-plan.js';

/**
 * PvcLoader is the seam between a plan and a pod that mounts the PVC (DESIGN §6): a busybox sh script the pod
 * runs as `sh -c "$script" sh MOUNT_DIR`, and, for the stream transport, what feeds its stdin (over the
 * Kubernetes exec API). Both transports leave the same files, byte for byte, as writePlan, with `.done` (content
 * `done`) written last, and both resume: a re-run sends only what the volume does not hold yet.
 */
export interface PvcLoader {
  transport: 'stream' | 'pull';
  script: string;
  /** Expected content of `.done` once the script succeeds. */
  done: string;
  /** Stream transport only: the probe run first, and the tar for the script's stdin. */
  feed?: StreamFeed;
}

/**
 * StreamFeed is the operator's side of the stream transport: run `probe` in the pod, let `plan` read what it
 * printed, then run the loader script with `open(plan)` on its stdin.
 */
export interface StreamFeed {
  /**
   * Busybox script (stagingProbe) run as `sh -c "$probe" sh MOUNT_DIR DONE`, DONE being the first line of the
   * expected `.done`: says whether the volume is complete, and which contents a cut stream left staged.
   */
  probe: string;
  /** plan decides what to send from the probe's output (reading the start of a content staged in part). */
  plan(probeOutput: string, signal?: AbortSignal): Promise<StreamPlan>;
  /** open streams the tar of what `send` says; reads the bundle, so keep the plan's bundle open. */
  open(send: StreamPlan, options?: Omit<FileTarStreamOptions, 'send'>): Readable;
}

/** streamLoader: bytes leave the operator's machine as a tar on the pod's stdin; the pod needs no network. */
export function streamLoader(plan: MaterializePlan): PvcLoader {
  return {
    transport: 'stream',
    script: loaderScript(),
    done: plan.done.toString('utf8'),
    feed: {
      probe: stagingProbe(),
      plan: (probeOutput, signal) => planStream(plan, readStagingReport(probeOutput), signal !== undefined ? { signal } : {}),
      open: (send, options = {}) => createFileTarStream(plan, { ...options, send }),
    },
  };
}

/** pullLoader: the pod fetches blobs from the in-cluster registry, so bytes never leave the cluster. */
export function pullLoader(plan: MaterializePlan, options: PullScriptOptions): PvcLoader {
  return { transport: 'pull', script: pullScript(plan, options), done: plan.done.toString('utf8') };
}
