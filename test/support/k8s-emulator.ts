/**
 * Kubernetes API server emulator for tests: the pure handler (k8s-emulator-handler.ts) and its HTTPS + exec
 * websocket shell (k8s-emulator-server.ts), with writeKubeconfig to point client-node at it.
 */
export { K8sEmulator } from './k8s-emulator-handler.js';
export { selectorMatcher, statusResponse } from './k8s-emulator-responses.js';
export type { Behavior, DenyRule, EmulatorRequest, EmulatorResponse, ExecTarget, K8sEmulatorOptions } from './k8s-emulator-handler.js';
export { startK8sEmulator, writeKubeconfig } from './k8s-emulator-server.js';
export type { ExecRunnerOptions, RunningEmulator, StartOptions } from './k8s-emulator-server.js';
