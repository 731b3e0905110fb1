import type { Readable } from 'node:stream';
import { createFileTarStream } from './file-tar-stream.js';
import { loaderScript } from './loader-script.js';
import type { MaterializePlan } from './materialize-plan.js';
import { pullScript, type PullScriptOptions } from './pull-script.js';

/**
 * PvcLoader is the seam between a plan and a pod that mounts the PVC (DESIGN §6): a busybox sh script the pod
 * runs as `sh -c "$script" sh MOUNT_DIR`, and, for the stream transport, the bytes to write to its stdin
 * (over the Kubernetes exec API). Both transports leave the same files, byte for byte, as writePlan, with
 * `.done` (content `done`) written last; the wiring can read `.done` first and skip a PVC that is complete.
 */
export interface PvcLoader {
  transport: 'stream' | 'pull';
  script: string;
  /** Opens the stdin stream (stream transport only); reads the bundle, so keep the plan's bundle open. */
  openStdin?: (signal?: AbortSignal) => Readable;
  /** Expected content of `.done` once the script succeeds. */
  done: string;
}

/** streamLoader: bytes leave the operator's machine as a tar on the pod's stdin; the pod needs no network. */
export function streamLoader(plan: MaterializePlan): PvcLoader {
  return { transport: 'stream', script: loaderScript(), openStdin: (signal) => createFileTarStream(plan, { signal }), done: plan.done.toString('utf8') };
}

/** pullLoader: the pod fetches blobs from the in-cluster registry, so bytes never leave the cluster. */
export function pullLoader(plan: MaterializePlan, options: PullScriptOptions): PvcLoader {
  return { transport: 'pull', script: pullScript(plan, options), done: plan.done.toString('utf8') };
}
