import type { Readable, Writable } from 'node:stream';
import type { KubernetesObject } from '@kubernetes/client-node';
import type { ProgressSink } from '../progress/events.js';
import type { KubeObject, ObjectRef } from './object.js';

/** ApplyAction is what a server-side apply did to one object (see apply-outcome.ts for the rule). */
export type ApplyAction = 'created' | 'configured' | 'unchanged';

/** ApplyResult reports one applied object. */
export interface ApplyResult {
  /** The object, with the namespace the server put it in. */
  ref: ObjectRef;
  action: ApplyAction;
  /** The object as the server returned it after the apply. */
  object: KubeObject;
}

/** ApplyOptions tune {@link ObjectApplier.apply}. */
export interface ApplyOptions {
  /** The field manager the server records as owner of the applied fields. Default `airbundle`. */
  fieldManager?: string;
  /** Take over fields another manager owns (kubectl's `--force-conflicts`). Default false. */
  force?: boolean;
  /** Ask the server to validate and compute the result without persisting it (`dryRun=All`). Default false. */
  dryRun?: boolean;
  /** How long to wait for applied CustomResourceDefinitions to be Established before their resources; ≤ 0 means 60 s. */
  crdTimeoutMs?: number;
  onEvent?: ProgressSink;
  signal?: AbortSignal;
}

/** WaitOptions tune {@link ReadinessWaiter.waitReady}. */
export interface WaitOptions {
  /** Give up after this long; ≤ 0 means 5 min. */
  timeoutMs?: number;
  /** First pause between polls; it grows by half each round. ≤ 0 means 500 ms. */
  pollMs?: number;
  /** Longest pause between polls; ≤ 0 means 5 s. */
  maxPollMs?: number;
  onEvent?: ProgressSink;
  signal?: AbortSignal;
}

/** ExecOptions tune {@link PodExecutor.exec}. */
export interface ExecOptions {
  /**
   * Bytes for the command's standard input, streamed with backpressure; absent means no stdin. Its end reaches
   * the command only over `v5.channel.k8s.io` (Kubernetes ≥ 1.30); against older servers the command must stop
   * reading by itself (e.g. `head -c <size> | tar -x`), or the call waits until `signal` aborts it.
   */
  stdin?: Readable;
  /** Also stream stdout / stderr here; the result still keeps the last `maxOutputBytes`. */
  stdout?: Writable;
  stderr?: Writable;
  /** How much of stdout and of stderr the result keeps (the tail); ≤ 0 means 1 MiB each. */
  maxOutputBytes?: number;
  signal?: AbortSignal;
}

/** ExecResult is how a command run in a container ended. */
export interface ExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** ObjectApplier applies objects with server-side apply. */
export interface ObjectApplier {
  /** apply sends each object as a server-side apply patch, in dependency order (apply-order.ts), and says what changed. */
  apply(objects: readonly KubernetesObject[], options?: ApplyOptions): Promise<ApplyResult[]>;
}

/** ObjectReader reads objects. */
export interface ObjectReader {
  /** get returns the object, or undefined when it does not exist. */
  get(ref: ObjectRef, options?: { signal?: AbortSignal }): Promise<KubeObject | undefined>;
  /** list returns the objects of a kind in a namespace, optionally filtered by a label selector (`app=x,tier=y`). */
  list(apiVersion: string, kind: string, namespace: string | undefined, options?: { labelSelector?: string; signal?: AbortSignal }): Promise<KubeObject[]>;
}

/** ObjectDeleter deletes objects. */
export interface ObjectDeleter {
  /** delete removes the object (dependents in the background); true when it existed. */
  delete(ref: ObjectRef, options?: { signal?: AbortSignal }): Promise<boolean>;
}

/** ReadinessWaiter waits for objects to become ready (readiness.ts says what ready means per kind). */
export interface ReadinessWaiter {
  waitReady(refs: readonly ObjectRef[], options?: WaitOptions): Promise<void>;
  /** waitPodRunning waits until the pod's phase is Running and returns it; a pod that ends first is an error. */
  waitPodRunning(namespace: string, name: string, options?: WaitOptions): Promise<KubeObject>;
}

/** PodExecutor runs commands in containers over the exec API. */
export interface PodExecutor {
  exec(namespace: string, pod: string, container: string, command: readonly string[], options?: ExecOptions): Promise<ExecResult>;
}

/** Cluster is a connection to one Kubernetes API server, as named by a kubeconfig context. */
export interface Cluster extends ObjectApplier, ObjectReader, ObjectDeleter, ReadinessWaiter, PodExecutor {
  /** The API server URL. */
  readonly server: string;
  /** The kubeconfig context in use. */
  readonly context: string;
  /** The namespace namespaced objects without one go to (the context's, else `default`). */
  readonly defaultNamespace: string;
}
