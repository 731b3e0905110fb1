/**
 * Finding and loading the kubeconfig, the way kubectl does: `--kubeconfig`, else `$KUBECONFIG` (a list of files,
 * merged), else `~/.kube/config`, else the in-cluster service account. Unlike client-node's `loadFromDefault`, a
 * missing kubeconfig is an error naming the paths tried, not a silent fallback to http://localhost:8080.
 */
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { AirbundleError, errorMessage } from '../errors.js';
import type { Cluster } from './cluster.types.js';
import { KubeCluster } from './kube-cluster.js';
import { ObjectApi } from './object-api.js';

/** ConnectOptions choose the kubeconfig and context. */
export interface ConnectOptions {
  /** Path of the kubeconfig file (`--kubeconfig`). Default: `$KUBECONFIG`, then `~/.kube/config`, then in-cluster. */
  kubeconfig?: string;
  /** Context to use (`--context`). Default: the kubeconfig's current-context. */
  context?: string;
  /** Longest wait for an answer to one API request; ≤ 0 means 30 s. */
  requestTimeoutMs?: number;
  /** Environment to read KUBECONFIG and the in-cluster variables from. Default process.env (tests set it). */
  env?: Record<string, string | undefined>;
  /** Home directory holding `.kube/config`. Default os.homedir() (tests set it). */
  homeDir?: string;
}

const SERVICE_ACCOUNT_TOKEN = '/var/run/secrets/kubernetes.io/serviceaccount/token';

/**
 * connectCluster loads the kubeconfig and returns a {@link Cluster} for its context. It does not contact the
 * server: the first request does, and fails with K8S_UNREACHABLE if it cannot.
 */
export function connectCluster(options: ConnectOptions = {}): Cluster {
  const kc = loadKubeConfig(options);
  if (options.context !== undefined) {
    const names = kc.getContexts().map((c) => c.name);
    if (!names.includes(options.context)) {
      throw new AirbundleError('K8S_CONFIG', `the kubeconfig has no context "${options.context}"`, {
        hint: names.length === 0 ? 'the kubeconfig defines no contexts' : `pick one of: ${names.join(', ')}`,
        details: { contexts: names },
      });
    }
    kc.setCurrentContext(options.context);
  }
  const context = kc.getCurrentContext();
  const cluster = kc.getCurrentCluster();
  if (context === '' || context === undefined || cluster === null) {
    const names = kc.getContexts().map((c) => c.name);
    throw new AirbundleError('K8S_CONFIG', `the kubeconfig has no usable current context${context ? ` ("${context}" names no cluster)` : ''}`, {
      hint: names.length === 0 ? 'the kubeconfig defines no contexts' : `pass --context with one of: ${names.join(', ')}`,
    });
  }
  if (cluster.server.startsWith('http://') && cluster.skipTLSVerify !== true) allowPlainHttp(kc, cluster.name);
  const api = ObjectApi.fromKubeConfig(kc);
  return new KubeCluster(kc, api, { server: cluster.server, context, requestTimeoutMs: options.requestTimeoutMs });
}

function loadKubeConfig(options: ConnectOptions): KubeConfig {
  const env = options.env ?? process.env;
  const kc = new KubeConfig();
  const load = (what: string, fn: () => void): KubeConfig => {
    try {
      fn();
      return kc;
    } catch (e) {
      throw new AirbundleError('K8S_CONFIG', `cannot read kubeconfig ${what}: ${errorMessage(e)}`, { cause: e, hint: 'fix the file, or pass another one with --kubeconfig' });
    }
  };
  if (options.kubeconfig !== undefined) {
    const path = resolve(options.kubeconfig);
    if (!existsSync(path)) throw new AirbundleError('K8S_CONFIG', `kubeconfig ${path} does not exist`, { hint: 'check the --kubeconfig path' });
    return load(path, () => kc.loadFromFile(path));
  }
  const fromEnv = (env['KUBECONFIG'] ?? '').split(delimiter).filter((p) => p !== '');
  if (fromEnv.length > 0) {
    const present = fromEnv.filter((p) => existsSync(p));
    if (present.length === 0) {
      throw new AirbundleError('K8S_CONFIG', `no kubeconfig found: KUBECONFIG names ${fromEnv.join(delimiter)}, and none of it exists`, {
        hint: 'fix KUBECONFIG, or pass --kubeconfig <file>',
      });
    }
    // Merged like kubectl: the first file's current-context wins (client-node mergeConfig).
    return load(present.join(delimiter), () => {
      kc.loadFromFile(present[0]!);
      for (const more of present.slice(1)) {
        const next = new KubeConfig();
        next.loadFromFile(more);
        kc.mergeConfig(next);
      }
    });
  }
  const home = join(options.homeDir ?? homedir(), '.kube', 'config');
  if (existsSync(home)) return load(home, () => kc.loadFromFile(home));
  if (env['KUBERNETES_SERVICE_HOST'] !== undefined && existsSync(SERVICE_ACCOUNT_TOKEN)) return load('of the in-cluster service account', () => kc.loadFromCluster());
  throw new AirbundleError('K8S_CONFIG', `no kubeconfig found: KUBECONFIG is not set and ${home} does not exist`, {
    hint: 'pass --kubeconfig <file> (or set KUBECONFIG) to say which cluster to deploy to',
    details: { tried: [home] },
  });
}

/**
 * client-node refuses `http://` servers unless insecure-skip-tls-verify is set, though there is no TLS to verify
 * (kubectl allows them, e.g. for `kubectl proxy` on http://127.0.0.1:8001). Set the flag on that cluster.
 */
function allowPlainHttp(kc: KubeConfig, clusterName: string): void {
  kc.loadFromOptions({
    clusters: kc.getClusters().map((c) => (c.name === clusterName ? { ...c, skipTLSVerify: true } : c)),
    users: kc.getUsers(),
    contexts: kc.getContexts(),
    currentContext: kc.getCurrentContext(),
  });
}
