/**
 * Running a command in a container over the exec API (a websocket upgrade of
 * `POST /api/v1/namespaces/{ns}/pods/{pod}/exec`), with client-node's Exec opening the connection.
 *
 * Protocol (https://github.com/kubernetes/kubernetes/blob/v1.31.0/staging/src/k8s.io/apimachinery/pkg/util/httpstream/wsstream/doc.go,
 * KEP-4006): every binary message starts with a channel byte: 0 stdin, 1 stdout, 2 stderr, 3 the final `Status`
 * (exit code), 4 resize. `v5.channel.k8s.io` (served by Kubernetes ≥ 1.30) adds a close signal `[255, channel]`,
 * the only way to tell the command that stdin has ended without closing the connection and losing its exit status.
 *
 * client-node pumps stdin with `stdin.on('data', d => ws.send(d))`, reading the source as fast as the disk allows
 * and queueing everything the network has not taken yet in memory. A bundle is many gigabytes, so stdin goes through
 * our own {@link StdinChannel} instead, which takes the next chunk only when the socket has written the last one.
 */
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Exec, type KubeConfig, type V1Status } from '@kubernetes/client-node';
// Not re-exported by the package index; needed to give the handler our streams rather than process.stdin/stdout.
import { WebSocketHandler } from '@kubernetes/client-node/dist/web-socket-handler.js';
import { WebSocket, type ClientOptions } from 'ws';
import { AirbundleError, errorMessage } from '../errors.js';
import { fromStatus, parseStatus, toClusterError, type ApiCallContext } from './api-error.js';
import type { ExecOptions, ExecResult } from './cluster.types.js';
import { TailBuffer } from './tail-buffer.js';

const STDIN = 0;
const CLOSE = 255;
/** Largest stdin frame: kubectl copies stdin in 32 KiB reads, so servers are known to take frames of this size. */
const FRAME_BYTES = 32 * 1024;

/** execInPod runs `command` in a container and returns its exit code and (the tail of) its output. */
export async function execInPod(
  kc: KubeConfig,
  where: { server: string; context: string },
  namespace: string,
  pod: string,
  container: string,
  command: readonly string[],
  options: ExecOptions = {},
): Promise<ExecResult> {
  const ctx: ApiCallContext = { ...where, verb: 'exec into', rbac: { verb: 'create', resource: 'pods/exec' }, ref: { apiVersion: 'v1', kind: 'Pod', namespace, name: pod }, signal: options.signal };
  if (options.signal?.aborted === true) throw aborted(options.signal);
  const max = options.maxOutputBytes !== undefined && options.maxOutputBytes > 0 ? options.maxOutputBytes : 1024 * 1024;
  const out = new TailBuffer(max);
  const err = new TailBuffer(max);
  const stdout = collector(out, options.stdout);
  const stderr = collector(err, options.stderr);
  // With stdin, the query must say stdin=true, which client-node derives from a non-null stream; it gets a
  // placeholder that never yields data, and the real bytes go through StdinChannel.
  const placeholder = options.stdin === undefined ? null : new Readable({ read: () => undefined });
  let resolveStatus: (s: V1Status) => void = () => undefined;
  const status = new Promise<V1Status>((resolve) => (resolveStatus = resolve));

  const handler = new WebSocketHandler(kc, openSocket, { stdin: placeholder ?? Readable.from([]), stdout, stderr });
  let ws: WebSocket;
  try {
    ws = await new Exec(kc, handler).exec(namespace, pod, container, [...command], stdout, stderr, placeholder, false, (s) => resolveStatus(s));
  } catch (e) {
    throw connectError(e, ctx, container);
  }
  if (isAborted(options.signal)) {
    // Aborted while connecting: the abort listener below would never fire.
    ws.terminate();
    throw aborted(options.signal);
  }

  const stopStdin = new AbortController();
  let onAbort: () => void = () => undefined;
  try {
    const ended = new Promise<never>((_, reject) => {
      ws.once('close', () => reject(new AirbundleError('K8S_EXEC', `exec into pod ${namespace}/${pod}: the connection closed before the command's exit status arrived`, { details: { server: ctx.server } })));
      onAbort = () => {
        ws.terminate();
        reject(aborted(options.signal));
      };
      options.signal?.addEventListener('abort', onAbort, { once: true });
    });
    ended.catch(() => undefined);
    const stdinDone =
      options.stdin === undefined
        ? new Promise<never>(() => undefined)
        : pipeline(options.stdin, new StdinChannel(ws), { signal: stopStdin.signal }).then(
            () => new Promise<never>(() => undefined),
            (e: unknown) => {
              if (stopStdin.signal.aborted) return new Promise<never>(() => undefined);
              throw e instanceof AirbundleError ? e : new AirbundleError('K8S_EXEC', `exec into pod ${namespace}/${pod}: sending stdin failed: ${errorMessage(e)}`, { cause: e });
            },
          );
    const final = await Promise.race([status, ended, stdinDone]);
    return { exitCode: exitCodeOf(final, ctx), stdout: out.toString(), stderr: err.toString() };
  } finally {
    stopStdin.abort();
    placeholder?.destroy();
    options.signal?.removeEventListener('abort', onAbort);
    if (ws.readyState === ws.OPEN || ws.readyState === ws.CONNECTING) ws.close();
  }
}

/**
 * exitCodeOf reads the exit code from the final Status: `Success` is 0; `NonZeroExitCode` carries it in
 * `details.causes[reason=ExitCode].message`. Any other failure means the command did not run at all.
 */
export function exitCodeOf(status: V1Status, ctx: ApiCallContext): number {
  if (status.status === 'Success') return 0;
  if (status.reason === 'NonZeroExitCode') {
    const cause = status.details?.causes?.find((c) => c.reason === 'ExitCode');
    const code = Number(cause?.message);
    if (Number.isInteger(code)) return code;
  }
  throw new AirbundleError('K8S_EXEC', `exec into pod ${ctx.ref?.namespace}/${ctx.ref?.name}: ${status.message ?? status.reason ?? 'the command could not be run'}`, {
    details: { server: ctx.server, reason: status.reason },
    hint: 'check that the command exists in the container image',
  });
}

/** StdinChannel writes a byte stream to the stdin channel, one socket write at a time (see the file comment). */
class StdinChannel extends Writable {
  readonly #ws: WebSocket;

  constructor(ws: WebSocket) {
    super({ highWaterMark: 256 * 1024 });
    this.#ws = ws;
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    if (chunk.length === 0) return callback();
    for (let off = 0; off < chunk.length; off += FRAME_BYTES) {
      const piece = chunk.subarray(off, off + FRAME_BYTES);
      const frame = Buffer.allocUnsafe(piece.length + 1);
      frame[0] = STDIN;
      piece.copy(frame, 1);
      // ws calls back once the socket has taken the frame; only the last frame's callback releases the next chunk.
      this.#ws.send(frame, { binary: true }, off + FRAME_BYTES >= chunk.length ? (e) => callback(e ?? null) : undefined);
    }
  }

  override _final(callback: (error?: Error | null) => void): void {
    if (this.#ws.protocol !== 'v5.channel.k8s.io') return callback(); // v4 cannot half-close: the command must stop reading by itself.
    this.#ws.send(Buffer.from([CLOSE, STDIN]), { binary: true }, (e) => callback(e ?? null));
  }
}

/** collector keeps the tail of an output channel and forwards it to the caller's stream, if any. */
function collector(tail: TailBuffer, forward: Writable | undefined): Writable {
  return new Writable({
    write(chunk: Buffer, _encoding, callback) {
      tail.push(chunk);
      if (forward === undefined) return callback();
      forward.write(chunk);
      callback();
    },
    final(callback) {
      callback();
    },
  });
}

/** UpgradeRefused is the server's answer when it refuses the websocket upgrade, with its Status body. */
class UpgradeRefused extends Error {
  readonly status: number;
  readonly body: string;

  constructor(status: number, body: string) {
    super(`the server answered the exec upgrade with HTTP ${status}`);
    this.status = status;
    this.body = body;
  }
}

/**
 * openSocket opens the exec websocket like client-node does, and reads the body of a refused upgrade: the API
 * server explains there (`container x is not valid for pod y`, RBAC), while ws alone reports only the status code.
 */
function openSocket(uri: string, protocols: string[], opts: ClientOptions): WebSocket {
  const ws = new WebSocket(uri, protocols, opts);
  ws.on('unexpected-response', (_req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    res.on('data', (c: Buffer) => {
      if (size < 64 * 1024) chunks.push(c);
      size += c.length;
    });
    res.on('end', () => {
      ws.emit('error', new UpgradeRefused(res.statusCode ?? 0, Buffer.concat(chunks).toString('utf8')));
      ws.terminate();
    });
    res.on('error', () => ws.terminate());
  });
  return ws;
}

function connectError(e: unknown, ctx: ApiCallContext, container: string): AirbundleError {
  // client-node rejects with the websocket's ErrorEvent; the error itself is in `.error`.
  const err = typeof e === 'object' && e !== null && 'error' in e ? (e as { error: unknown }).error : e;
  if (!(err instanceof UpgradeRefused)) return toClusterError(err, ctx);
  const status = parseStatus(err.body);
  const mapped = fromStatus(err.status, status, ctx, err);
  if (err.status !== 400) return mapped;
  return new AirbundleError('K8S_EXEC', `exec into pod ${ctx.ref?.namespace}/${ctx.ref?.name} container ${container}: ${status?.message ?? 'the server refused it (HTTP 400)'}`, {
    cause: err,
    details: { server: ctx.server, status: err.status },
    hint: 'check that the pod is Running and has a container of that name',
  });
}

/** isAborted reads the signal afresh (a function call defeats TypeScript's narrowing of an earlier check). */
function isAborted(signal: AbortSignal | undefined): boolean {
  return signal?.aborted === true;
}

function aborted(signal: AbortSignal | undefined): AirbundleError {
  return new AirbundleError('ABORTED', 'exec was aborted', { cause: signal?.reason });
}
