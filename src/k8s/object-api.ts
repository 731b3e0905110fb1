/**
 * The only module that sends REST requests to the API server. It extends client-node's KubernetesObjectApi to
 * reuse what that class does well (discovery of the resource path for any apiVersion/kind, kubeconfig auth,
 * the TLS agent) and replaces the one thing it does badly for us: its methods push bodies and responses through
 * the generated model serializer, which knows only the built-in kinds of its own Kubernetes version and renames
 * JSON keys (a CRD schema's `enum`, `$ref` and `x-kubernetes-*` become `_enum`, `ref`, `x_kubernetes_*` and are
 * silently dropped when the input is plain JSON). Server-side apply must send exactly the fields we own, so bodies
 * go out as our JSON and come back as the server's JSON.
 */
import { ApiException, HttpMethod, KubernetesObjectApi, PatchStrategy, type KubeConfig, type KubernetesObject, type ResponseContext } from '@kubernetes/client-node';
import { isRecord, type KubeObject, type ObjectRef } from './object.js';

/** RequestOptions bound one request. */
export interface RequestOptions {
  signal?: AbortSignal;
  /** Give up when the server has not answered in this long; ≤ 0 means 30 s. */
  timeoutMs?: number;
}

/** ApplyPatchOptions are the query parameters of a server-side apply PATCH. */
export interface ApplyPatchOptions extends RequestOptions {
  fieldManager: string;
  force: boolean;
  dryRun: boolean;
}

type Query = Record<string, string | undefined>;

/** ObjectApi sends typed-by-path, untyped-by-body requests for any kind the server serves. */
export class ObjectApi extends KubernetesObjectApi {
  /** fromKubeConfig builds the client for the kubeconfig's current context, with its default namespace. */
  static fromKubeConfig(kc: KubeConfig): ObjectApi {
    const api = kc.makeApiClient(ObjectApi);
    api.setDefaultNamespace(kc);
    return api;
  }

  /** The namespace a namespaced object without one goes to. */
  get namespace(): string {
    return this.defaultNamespace;
  }

  /** getObject reads one object; the server's 404 surfaces as an ApiException. */
  async getObject(ref: ObjectRef, options: RequestOptions = {}): Promise<KubeObject> {
    return this.#send<KubeObject>(HttpMethod.GET, await this.#path(ref, 'read'), {}, undefined, options);
  }

  /** listObjects lists a kind, in one namespace or (for `undefined`) all of them. */
  async listObjects(apiVersion: string, kind: string, namespace: string | undefined, labelSelector: string | undefined, options: RequestOptions = {}): Promise<KubeObject[]> {
    const path = await this.specUriPath({ apiVersion, kind, metadata: namespace === undefined ? {} : { namespace } }, 'list');
    const list = await this.#send<unknown>(HttpMethod.GET, path, { labelSelector }, undefined, options);
    const items = isRecord(list) && Array.isArray(list['items']) ? list['items'] : [];
    // Items of a list carry no apiVersion/kind; put them back.
    return items.filter(isRecord).map((item) => ({ ...item, apiVersion, kind }) as KubeObject);
  }

  /**
   * applyObject sends `obj` as a server-side apply patch: `PATCH` with `Content-Type: application/apply-patch+yaml`
   * (JSON is YAML), `fieldManager`, `force=true` only when asked, `dryRun=All` for a dry run.
   * https://kubernetes.io/docs/reference/using-api/server-side-apply/ (v1.31).
   */
  async applyObject(obj: KubeObject, options: ApplyPatchOptions): Promise<KubeObject> {
    const query: Query = { fieldManager: options.fieldManager, force: options.force ? 'true' : undefined, dryRun: options.dryRun ? 'All' : undefined };
    const path = await this.#path(obj, 'patch');
    return this.#send<KubeObject>(HttpMethod.PATCH, path, query, { type: PatchStrategy.ServerSideApply, text: JSON.stringify(obj) }, options);
  }

  /** deleteObject deletes one object, letting the garbage collector remove its dependents in the background. */
  async deleteObject(ref: ObjectRef, options: RequestOptions = {}): Promise<void> {
    await this.#send<unknown>(HttpMethod.DELETE, await this.#path(ref, 'delete'), { propagationPolicy: 'Background' }, undefined, options);
  }

  /** Responses stay the server's JSON (see the file comment); errors keep client-node's ApiException. */
  protected override async processResponse<T extends KubernetesObject>(response: ResponseContext): Promise<T> {
    const text = await response.body.text();
    if (response.httpStatusCode >= 200 && response.httpStatusCode <= 299) return JSON.parse(text) as T;
    throw new ApiException(response.httpStatusCode, 'Unsuccessful HTTP Request', text, response.headers);
  }

  /** #path resolves the URL path by discovery; specUriPath fills in a default namespace, so it gets a copy. */
  async #path(ref: ObjectRef | KubeObject, action: 'read' | 'patch' | 'delete'): Promise<string> {
    const metadata = 'metadata' in ref ? { ...ref.metadata } : { name: ref.name, ...(ref.namespace === undefined ? {} : { namespace: ref.namespace }) };
    return this.specUriPath({ apiVersion: ref.apiVersion, kind: ref.kind, metadata }, action);
  }

  async #send<T>(method: HttpMethod, path: string, query: Query, body: { type: string; text: string } | undefined, options: RequestOptions): Promise<T> {
    const ctx = this.configuration.baseServer.makeRequestContext(path, method);
    ctx.setHeaderParam('Accept', 'application/json');
    for (const [k, v] of Object.entries(query)) if (v !== undefined) ctx.setQueryParam(k, v);
    if (body !== undefined) {
      ctx.setHeaderParam('Content-Type', body.type);
      ctx.setBody(body.text);
    }
    const timeout = AbortSignal.timeout(options.timeoutMs !== undefined && options.timeoutMs > 0 ? options.timeoutMs : 30_000);
    ctx.setSignal(options.signal === undefined ? timeout : AbortSignal.any([options.signal, timeout]));
    return (await this.requestPromise<KubernetesObject>(ctx)) as T;
  }
}
