/**
 * The thin I/O shell of the Kubernetes API emulator: an HTTPS server on 127.0.0.1 (a self-signed test certificate,
 * k8s-emulator-tls.ts, trusted through the kubeconfig's certificate-authority-data) that feeds
 * requests to the pure handler, and the exec websocket, which runs the command as a local process — through
 * `busybox` by default, in a directory standing in for the pod's volume.
 */
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { PassThrough, type Readable } from 'node:stream';
import { join } from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';
import { stringify as toYaml } from 'yaml';
import { CHANNEL, exitStatus, frame, mapMounts, pickSubprotocol, startFailure, SUBPROTOCOLS } from './k8s-emulator-exec.js';
import { K8sEmulator, type EmulatorResponse, type ExecTarget, type K8sEmulatorOptions } from './k8s-emulator-handler.js';
import { EMULATOR_TLS_CERT, EMULATOR_TLS_KEY } from './k8s-emulator-tls.js';

/** ExecRunnerOptions say how exec commands run on this machine. */
export interface ExecRunnerOptions {
  /** Pod paths → local directories; pod paths in the command are rewritten (k8s-emulator-exec.ts mapMounts). */
  mounts?: Record<string, string>;
  /** Working directory of the command. Default: the first mount's directory, else the current one. */
  cwd?: string;
  /** Run the command through this busybox (`busybox <cmd> <args…>`); false runs it as given. Default `busybox`. */
  busybox?: string | false;
  /**
   * Called when an exec with stdin starts, with a stream of every byte handed to the command's stdin (what reached
   * the pod), which ends when the exec ends: how a test measures what a client sent.
   */
  onStdin?: (command: readonly string[], bytes: Readable) => void;
  /**
   * Cut the connection once this many bytes of an exec's stdin were handed to the command (after they reached it),
   * like a network failure in the middle of a stream.
   */
  cutStdinAfter?: number;
}

/** StartOptions configure {@link startK8sEmulator}. */
export interface StartOptions extends K8sEmulatorOptions {
  /** Serve HTTPS with a generated certificate (default) or plain HTTP. */
  tls?: boolean;
  exec?: ExecRunnerOptions;
  /** Exec subprotocols served, preferred first. Default v5 then v4. */
  subprotocols?: readonly string[];
}

/** RunningEmulator is a started emulator. */
export interface RunningEmulator {
  /** `https://127.0.0.1:<port>` */
  url: string;
  token: string;
  /** PEM of the server certificate (its own CA), when serving TLS. */
  caPem?: string;
  emulator: K8sEmulator;
  /** Exec runner settings; tests may change them between calls. */
  exec: ExecRunnerOptions;
  stop(): Promise<void>;
}

/** startK8sEmulator starts an emulator on a free loopback port. */
export async function startK8sEmulator(options: StartOptions = {}): Promise<RunningEmulator> {
  const emulator = new K8sEmulator(options);
  const execOptions: ExecRunnerOptions = { ...options.exec };
  const subprotocols = options.subprotocols ?? SUBPROTOCOLS;
  const tls = options.tls !== false ? { key: EMULATOR_TLS_KEY, cert: EMULATOR_TLS_CERT } : undefined;
  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const out = emulator.handle({ ...requestParts(req), body: Buffer.concat(chunks) });
      res.writeHead(out.status, { ...out.headers, 'content-length': String(Buffer.byteLength(out.body)) });
      res.end(out.body);
    });
  };
  const server: Server = tls === undefined ? createHttpServer(onRequest) : createHttpsServer({ key: tls.key, cert: tls.cert }, onRequest);
  const wss = new WebSocketServer({ noServer: true, handleProtocols: (offered) => pickSubprotocol(offered, subprotocols) });
  const sockets = new Set<WebSocket>();
  server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    const resolved = emulator.resolveExec(requestParts(req));
    if ('response' in resolved) return rejectUpgrade(socket, resolved.response);
    wss.handleUpgrade(req, socket, head, (ws) => {
      sockets.add(ws);
      ws.on('close', () => sockets.delete(ws));
      runExec(ws, resolved.target, execOptions);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `${tls === undefined ? 'http' : 'https'}://127.0.0.1:${port}`,
    token: emulator.token,
    ...(tls === undefined ? {} : { caPem: tls.cert }),
    emulator,
    exec: execOptions,
    stop: async () => {
      for (const ws of sockets) ws.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * writeKubeconfig writes `<dir>/kubeconfig` pointing at the emulator with bearer-token auth and returns its path.
 * Options change the context name, its namespace, the token (a wrong one tests 401), or leave out the CA.
 */
export async function writeKubeconfig(
  dir: string,
  server: { url: string; token: string; caPem?: string },
  options: { context?: string; namespace?: string; token?: string; /** Leave out the CA (the server is then untrusted). */ untrusted?: boolean } = {},
): Promise<string> {
  const context = options.context ?? 'emulator';
  const cluster: Record<string, unknown> = { server: server.url };
  if (server.caPem !== undefined && options.untrusted !== true) cluster['certificate-authority-data'] = Buffer.from(server.caPem).toString('base64');
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: context, cluster }],
    users: [{ name: `${context}-user`, user: { token: options.token ?? server.token } }],
    contexts: [{ name: context, context: { cluster: context, user: `${context}-user`, ...(options.namespace === undefined ? {} : { namespace: options.namespace }) } }],
    'current-context': context,
  };
  const path = join(dir, 'kubeconfig');
  await writeFile(path, toYaml(config), { mode: 0o600 });
  return path;
}

function requestParts(req: IncomingMessage): { method: string; path: string; query: URLSearchParams; headers: Record<string, string | undefined> } {
  const url = new URL(req.url ?? '/', 'http://emulator');
  const headers: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(req.headers)) headers[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
  return { method: req.method ?? 'GET', path: url.pathname, query: url.searchParams, headers };
}

function rejectUpgrade(socket: Socket, res: EmulatorResponse): void {
  const reason = { 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found' }[res.status] ?? 'Error';
  socket.end(`HTTP/1.1 ${res.status} ${reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(res.body)}\r\nConnection: close\r\n\r\n${res.body}`);
}

/** runExec runs the target command and bridges its stdio to the channels, with backpressure on stdin. */
function runExec(ws: WebSocket, target: ExecTarget, options: ExecRunnerOptions): void {
  const mounts = options.mounts ?? {};
  const [cmd, ...args] = mapMounts(target.command, mounts);
  const cwd = options.cwd ?? Object.values(mounts)[0] ?? process.cwd();
  const busybox = options.busybox ?? 'busybox';
  const child = busybox === false ? spawn(cmd!, args, { cwd, stdio: ['pipe', 'pipe', 'pipe'] }) : spawn(busybox, [cmd!, ...args], { cwd, stdio: ['pipe', 'pipe', 'pipe'] });
  if (!target.stdin) child.stdin.end();
  const tap = target.stdin && options.onStdin !== undefined ? new PassThrough() : undefined;
  if (tap !== undefined) options.onStdin?.(target.command, tap);
  child.stdin.on('error', () => undefined); // EPIPE when the command exits without reading all of stdin
  child.stdout.on('data', (d: Buffer) => target.stdout && ws.send(frame(CHANNEL.stdout, d)));
  child.stderr.on('data', (d: Buffer) => target.stderr && ws.send(frame(CHANNEL.stderr, d)));
  let finished = false;
  const finish = (status: Record<string, unknown>): void => {
    if (finished) return;
    finished = true;
    ws.send(frame(CHANNEL.status, JSON.stringify(status)), () => ws.close(1000));
  };
  child.on('error', (e) => finish(startFailure(`failed to exec in container: ${e.message}`)));
  child.on('close', (code, signal) => {
    tap?.end();
    finish(exitStatus(code ?? 128 + signalNumber(signal), target.command));
  });
  let fed = 0;
  ws.on('message', (data: Buffer) => {
    if (data.length === 0) return;
    const channel = data[0];
    if (channel === CHANNEL.stdin && target.stdin && child.stdin.writable) {
      const limit = options.cutStdinAfter ?? Infinity;
      if (fed >= limit) return;
      const payload = data.subarray(1, 1 + limit - fed);
      fed += payload.length;
      tap?.write(payload);
      if (fed >= limit) {
        child.stdin.write(payload, () => ws.terminate());
        return;
      }
      if (!child.stdin.write(payload)) {
        ws.pause();
        child.stdin.once('drain', () => ws.resume());
      }
    } else if (channel === CHANNEL.close && ws.protocol === 'v5.channel.k8s.io' && data[1] === CHANNEL.stdin) {
      child.stdin.end();
    }
  });
  ws.on('close', () => {
    tap?.end();
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
}

function signalNumber(signal: NodeJS.Signals | null): number {
  return signal === 'SIGKILL' ? 9 : signal === 'SIGTERM' ? 15 : signal === 'SIGPIPE' ? 13 : 1;
}
