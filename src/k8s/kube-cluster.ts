/**
 * KubeCluster is the {@link Cluster} over client-node: it maps every failure to an AirbundleError (api-error.ts)
 * and hands the work to apply.ts, wait-ready.ts and exec.ts.
 */
import { ApiException, type KubeConfig, type KubernetesObject } from '@kubernetes/client-node';
import { toClusterError, type ApiCallContext } from './api-error.js';
import { applyAll, type ApplyPort } from './apply.js';
import type { ApplyOptions, ApplyResult, Cluster, ExecOptions, ExecResult, WaitOptions } from './cluster.types.js';
import { execInPod } from './exec.js';
import type { KubeObject, ObjectRef } from './object.js';
import type { ObjectApi } from './object-api.js';
import { waitPodRunning, waitReady } from './wait-ready.js';

/** KubeCluster implements {@link Cluster}; build it with connectCluster. */
export class KubeCluster implements Cluster {
  readonly server: string;
  readonly context: string;
  readonly #kc: KubeConfig;
  readonly #api: ObjectApi;
  readonly #timeoutMs: number | undefined;

  constructor(kc: KubeConfig, api: ObjectApi, options: { server: string; context: string; requestTimeoutMs?: number | undefined }) {
    this.#kc = kc;
    this.#api = api;
    this.server = options.server;
    this.context = options.context;
    this.#timeoutMs = options.requestTimeoutMs;
  }

  get defaultNamespace(): string {
    return this.#api.namespace;
  }

  async apply(objects: readonly KubernetesObject[], options: ApplyOptions = {}): Promise<ApplyResult[]> {
    const port: ApplyPort = {
      get: (ref, o) => this.get(ref, o),
      applyOne: (obj, o) => this.#call('patch', obj, o.signal, () => this.#api.applyObject(obj, { ...o, timeoutMs: this.#timeoutMs })),
      waitReady: (refs, o) => this.waitReady(refs, o),
    };
    return applyAll(port, objects, options);
  }

  async get(ref: ObjectRef, options: { signal?: AbortSignal } = {}): Promise<KubeObject | undefined> {
    try {
      return await this.#api.getObject(ref, { signal: options.signal, timeoutMs: this.#timeoutMs });
    } catch (e) {
      if (isMissing(e)) return undefined;
      throw toClusterError(e, this.#ctx('get', ref, options.signal));
    }
  }

  async list(apiVersion: string, kind: string, namespace: string | undefined, options: { labelSelector?: string; signal?: AbortSignal } = {}): Promise<KubeObject[]> {
    const ref = { apiVersion, kind, name: options.labelSelector === undefined ? '*' : `-l ${options.labelSelector}`, namespace };
    return this.#call('list', ref, options.signal, () => this.#api.listObjects(apiVersion, kind, namespace, options.labelSelector, { signal: options.signal, timeoutMs: this.#timeoutMs }));
  }

  async delete(ref: ObjectRef, options: { signal?: AbortSignal } = {}): Promise<boolean> {
    try {
      await this.#api.deleteObject(ref, { signal: options.signal, timeoutMs: this.#timeoutMs });
      return true;
    } catch (e) {
      if (isMissing(e)) return false;
      throw toClusterError(e, this.#ctx('delete', ref, options.signal));
    }
  }

  async waitReady(refs: readonly ObjectRef[], options: WaitOptions = {}): Promise<void> {
    return waitReady(this, refs, options);
  }

  async waitPodRunning(namespace: string, name: string, options: WaitOptions = {}): Promise<KubeObject> {
    return waitPodRunning(this, namespace, name, options);
  }

  async exec(namespace: string, pod: string, container: string, command: readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
    return execInPod(this.#kc, { server: this.server, context: this.context }, namespace, pod, container, command, options);
  }

  async #call<T>(verb: string, ref: ObjectRef | KubeObject, signal: AbortSignal | undefined, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      throw toClusterError(e, this.#ctx(verb, ref, signal));
    }
  }

  #ctx(verb: string, ref: ObjectRef | KubeObject, signal: AbortSignal | undefined): ApiCallContext {
    const r: ObjectRef =
      'metadata' in ref
        ? { apiVersion: ref.apiVersion, kind: ref.kind, name: ref.metadata.name, ...(ref.metadata.namespace === undefined ? {} : { namespace: ref.metadata.namespace }) }
        : ref;
    return { server: this.server, context: this.context, verb, ref: r, signal };
  }
}

/** isMissing tells a 404 for the object from a 404 for its kind (discovery), which is an error, not absence. */
function isMissing(e: unknown): boolean {
  return e instanceof ApiException && Number(e.code) === 404 && !e.message.startsWith('Failed to fetch resource metadata');
}
