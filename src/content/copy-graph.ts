import { AirbundleError, errorMessage, isAirbundleError } from '../errors.js';
import type { Descriptor } from './descriptor.js';
import { successors } from './graph.js';
import type { ReadOnlyStorage, Storage } from './storage.js';

/** CopyHooks let callers observe a copy without the copy printing anything. */
export interface CopyHooks {
  /** Before a node's bytes move. */
  preCopy?: (desc: Descriptor) => void;
  /** After a node landed in the destination. */
  postCopy?: (desc: Descriptor) => void;
  /** When the destination already had the node (its whole sub-graph is skipped). */
  onSkipped?: (desc: Descriptor) => void;
  /** Bytes of `desc` written so far in this attempt. */
  onBytes?: (desc: Descriptor, n: number) => void;
}

/** CopyGraphOptions for {@link copyGraph}. */
export interface CopyGraphOptions extends CopyHooks {
  /** How many blobs move at once. Default 3 (as oras-go, dockerd and containerd); ≤ 0 means the default. */
  concurrency?: number;
  signal?: AbortSignal;
}

/**
 * copyGraph copies the DAG under `root` from `src` to `dst`: children before parents, so a manifest never lands
 * before its blobs; a node the destination already has is skipped with its sub-graph; each node is copied once
 * even when several parents share it. This is the one way content moves (build, export, push, deploy).
 * Reference: oras-go copy.go CopyGraph.
 */
export async function copyGraph(src: ReadOnlyStorage, dst: Storage, root: Descriptor, options: CopyGraphOptions = {}): Promise<void> {
  const limit = createLimiter(options.concurrency !== undefined && options.concurrency > 0 ? options.concurrency : 3);
  const started = new Map<string, Promise<void>>();
  // After the first failure no new node starts; the ones in flight finish before copyGraph rejects, so nothing
  // still writes to the destination once the caller has its error.
  let failure: { reason: unknown } | undefined;

  const copyNode = (node: Descriptor): Promise<void> => {
    const existing = started.get(node.digest);
    if (existing !== undefined) return existing;
    const task = (async () => {
      if (await dst.exists(node)) {
        options.onSkipped?.(node);
        return;
      }
      const children = await successors(src, node, options.signal);
      await allSettled(children.map(copyNode));
      await limit(async () => {
        if (failure !== undefined) throw failure.reason;
        options.preCopy?.(node);
        try {
          await dst.push(node, (offset) => src.fetch(node, { offset, signal: options.signal }), {
            signal: options.signal,
            onBytes: options.onBytes === undefined ? undefined : (n) => options.onBytes?.(node, n),
          });
        } catch (err) {
          const reason = isAirbundleError(err) ? err : new AirbundleError('TARGET_WRITE', `copying ${node.mediaType} ${node.digest} failed: ${errorMessage(err)}`, { cause: err });
          failure ??= { reason };
          throw reason;
        }
        options.postCopy?.(node);
      });
    })();
    started.set(node.digest, task);
    return task;
  };

  await copyNode(root);
}

/** allSettled waits for every task, then rejects with the first failure (Promise.all would leave the rest running). */
async function allSettled(tasks: Array<Promise<void>>): Promise<void> {
  const results = await Promise.allSettled(tasks);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed !== undefined) throw failed.reason;
}

/** createLimiter runs at most `n` async functions at once. */
export function createLimiter(n: number): <T>(fn: () => Promise<T>) => Promise<T> {
  let active = 0;
  const queue: Array<() => void> = [];
  return async <T>(fn: () => Promise<T>): Promise<T> => {
    if (active >= n) await new Promise<void>((resolve) => queue.push(resolve));
    active += 1;
    try {
      return await fn();
    } finally {
      active -= 1;
      queue.shift()?.();
    }
  };
}
