/**
 * A fault-injecting HTTP proxy on loopback, for testing retry, resume and re-auth against a real server. Requests
 * go through unchanged (the Host header too, so a registry's absolute Location URLs point back at the proxy), and
 * every request is recorded. Faults are queued rules, each for the next `times` requests that `match`:
 *   - `status`: answer with a status (and headers/body) without forwarding, e.g. 503 or 401;
 *   - `reset`: forward `afterBytes` bytes of the request (or response) body, then reset both connections;
 *   - `stall`: forward `afterBytes` bytes, then go silent with the connections open; with `forMs`, reset both
 *     connections after that long (a middlebox dropping an idle flow);
 *   - `truncate`: forward `afterBytes` bytes, then end cleanly (FIN, not RST). A response reaches the client
 *     shorter than its Content-Length; a request body reaches the target short, and the client gets no answer,
 *     only the close;
 *   - `trickle`: forward the body at `bytesPerSecond`: its first `bytes` bytes (default all), the rest at full speed.
 * Body faults act on the request body unless `direction` is `response`. A body shorter than `afterBytes` passes
 * whole; the record still names the fault.
 */
import { request as httpRequest, createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Readable, Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';

/** Direction says which body a body fault acts on. */
export type Direction = 'request' | 'response';

/** FaultAction is what a fault does to a request. */
export type FaultAction =
  | { kind: 'status'; status: number; headers?: Record<string, string>; body?: string }
  | { kind: 'reset'; afterBytes: number; direction?: Direction }
  | { kind: 'stall'; afterBytes?: number; direction?: Direction; forMs?: number }
  | { kind: 'truncate'; afterBytes: number; direction?: Direction }
  | { kind: 'trickle'; bytesPerSecond: number; bytes?: number; direction?: Direction };

/** BodyFault is a fault that acts on a body as it passes. */
export type BodyFault = Exclude<FaultAction, { kind: 'status' }>;

/** RequestInfo is what a fault's `match` sees. */
export interface RequestInfo {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
}

/** Fault applies `action` to the next `times` (default 1; Infinity for every one) requests that `match` (default all). */
export interface Fault {
  match?: (req: RequestInfo) => boolean;
  times?: number;
  action: FaultAction;
}

/** ProxiedRequest is the record of one request through the proxy. */
export interface ProxiedRequest extends RequestInfo {
  status?: number;
  /** Request-body bytes the proxy received from the client. */
  requestBytes: number;
  /** Response-body bytes the proxy sent to the client. */
  responseBytes: number;
  fault?: FaultAction['kind'];
}

/** FaultProxy is a running proxy. */
export interface FaultProxy {
  /** `127.0.0.1:PORT`, to use in place of the target's host. */
  host: string;
  requests: ProxiedRequest[];
  addFault(fault: Fault): void;
  /** failNext answers the next `times` matching requests with `status`. */
  failNext(times: number, status: number, match?: Fault['match'], headers?: Record<string, string>): void;
  /** resetAfter cuts the next matching request after `afterBytes` bytes of its request (or response) body. */
  resetAfter(afterBytes: number, match?: Fault['match'], direction?: Direction): void;
  /** stallNext goes silent on the next matching request after `afterBytes` bytes. */
  stallNext(match?: Fault['match'], afterBytes?: number, direction?: Direction): void;
  /** truncateAfter ends the next matching request's body cleanly after `afterBytes` bytes. */
  truncateAfter(afterBytes: number, match?: Fault['match'], direction?: Direction): void;
  /** trickle slows the next matching request's body to `bytesPerSecond` (its first `bytes` bytes, default all). */
  trickle(bytesPerSecond: number, match?: Fault['match'], options?: { bytes?: number; direction?: Direction }): void;
  clearFaults(): void;
  stop(): Promise<void>;
}

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'upgrade']);

/** startFaultProxy starts a proxy in front of `target` (`host:port`). */
export async function startFaultProxy(target: string): Promise<FaultProxy> {
  const [targetHost = '127.0.0.1', targetPort = '80'] = target.split(':');
  const faults: Array<Required<Pick<Fault, 'times'>> & Fault> = [];
  const requests: ProxiedRequest[] = [];
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();

  const takeFault = (info: RequestInfo): FaultAction | undefined => {
    const i = faults.findIndex((f) => f.match === undefined || f.match(info));
    if (i === -1) return undefined;
    const fault = faults[i];
    if (fault === undefined) return undefined;
    fault.times -= 1;
    if (fault.times <= 0) faults.splice(i, 1);
    return fault.action;
  };

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const info: RequestInfo = { method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers };
    const record: ProxiedRequest = { ...info, requestBytes: 0, responseBytes: 0 };
    requests.push(record);
    const action = takeFault(info);
    if (action !== undefined) record.fault = action.kind;

    if (action?.kind === 'status') {
      req.resume();
      record.status = action.status;
      const body = action.body ?? JSON.stringify({ errors: [{ code: 'UNAVAILABLE', message: 'injected by the fault proxy' }] });
      res.writeHead(action.status, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)), ...action.headers });
      res.end(body);
      return;
    }
    const onRequest = action !== undefined && (action.direction ?? 'request') === 'request' ? action : undefined;
    const onResponse = action !== undefined && action.direction === 'response' ? action : undefined;

    const resetBoth = (): void => {
      upstream.destroy();
      if (!req.socket.destroyed) req.socket.resetAndDestroy();
    };
    const holdThenReset = (forMs: number | undefined): void => {
      if (forMs === undefined) return;
      const timer = setTimeout(() => {
        timers.delete(timer);
        resetBoth();
      }, forMs);
      timers.add(timer);
    };
    /** A request body cut short with FIN: whatever the target answers to it is not passed on. */
    let answerDropped = false;
    /** The client connection is being ended cleanly (truncate): failures upstream must not reset it. */
    let detached = false;
    const dropClient = (): void => {
      if (!detached) req.socket.destroy();
    };

    const upstream = httpRequest(
      { host: targetHost, port: Number(targetPort), method: req.method, path: req.url, headers: strip(req.headers), agent: false },
      (ures) => {
        ures.on('error', dropClient);
        if (answerDropped) {
          ures.resume();
          return;
        }
        record.status = ures.statusCode;
        res.writeHead(ures.statusCode ?? 502, strip(ures.headers));
        relay(ures, res, onResponse, {
          atOnce: false,
          add: (n) => (record.responseBytes += n),
          sent: () => record.responseBytes,
          done: () => res.end(),
          cut: (fault) => {
            if (fault.kind === 'reset') setImmediate(resetBoth);
            else if (fault.kind === 'stall') holdThenReset(fault.forMs);
            else if (fault.kind === 'truncate') {
              // Headers out (if no body byte carried them), then FIN: the client sees a short body, not a reset.
              if (record.responseBytes === 0) res.flushHeaders();
              detached = true;
              req.socket.end();
              upstream.destroy();
            }
          },
        });
      },
    );
    upstream.on('error', dropClient);
    req.on('error', () => upstream.destroy());
    // Nothing to count on a bodiless request: a stall after 0 bytes stalls it outright.
    const bodiless = req.headers['content-length'] === undefined && req.headers['transfer-encoding'] === undefined;
    relay(req, upstream, onRequest, {
      atOnce: bodiless,
      add: (n) => (record.requestBytes += n),
      sent: () => record.requestBytes,
      done: () => upstream.end(),
      cut: (fault) => {
        if (fault.kind === 'reset') setImmediate(resetBoth);
        else if (fault.kind === 'stall') holdThenReset(fault.forMs);
        else if (fault.kind === 'truncate') {
          answerDropped = true;
          detached = true;
          // The message ends short of its Content-Length; once it is on the socket, FIN tells the target so.
          upstream.once('finish', () => upstream.socket?.end());
          upstream.end();
          req.socket.end();
        }
      },
    });
  };

  const server = createServer(handle);
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;

  const add = (fault: Fault): void => {
    faults.push({ ...fault, times: fault.times ?? 1 });
  };
  const matching = (match: Fault['match']): Pick<Fault, 'match'> => (match === undefined ? {} : { match });
  const toward = (direction: Direction | undefined): { direction?: Direction } => (direction === undefined ? {} : { direction });
  return {
    host: `127.0.0.1:${port}`,
    requests,
    addFault: add,
    failNext: (times, status, match, headers) => add({ times, ...matching(match), action: { kind: 'status', status, ...(headers === undefined ? {} : { headers }) } }),
    resetAfter: (afterBytes, match, direction) => add({ ...matching(match), action: { kind: 'reset', afterBytes, ...toward(direction) } }),
    stallNext: (match, afterBytes, direction) => add({ ...matching(match), action: { kind: 'stall', ...(afterBytes === undefined ? {} : { afterBytes }), ...toward(direction) } }),
    truncateAfter: (afterBytes, match, direction) => add({ ...matching(match), action: { kind: 'truncate', afterBytes, ...toward(direction) } }),
    trickle: (bytesPerSecond, match, options = {}) =>
      add({ ...matching(match), action: { kind: 'trickle', bytesPerSecond, ...(options.bytes === undefined ? {} : { bytes: options.bytes }), ...toward(options.direction) } }),
    clearFaults: () => {
      faults.length = 0;
    },
    stop: async () => {
      for (const t of timers) clearTimeout(t);
      timers.clear();
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** RelayHooks connect a relayed body to its request record and to what a cut does to the connections. */
interface RelayHooks {
  /** A stall after 0 bytes strikes before any body arrives (a bodiless request has none to wait for). */
  atOnce: boolean;
  /** Counts bytes passed on. */
  add: (n: number) => void;
  /** Bytes passed on so far. */
  sent: () => number;
  /** The body ended unharmed. */
  done: () => void;
  /** The fault's byte limit was reached: cut the connections as the fault says. */
  cut: (fault: BodyFault) => void;
}

/** Slices of a trickle: about twenty a second, at most 16 KiB. */
const TRICKLE_STEPS_PER_SECOND = 20;

/**
 * relay passes one body from `from` to `to` under `fault` (if any), one chunk at a time with backpressure, and ends
 * `to` (through `hooks.done`) only after the last chunk went out. After a cut, a stalled source is left paused (its
 * sender blocks); any other keeps being read and dropped.
 */
function relay(from: Readable, to: Writable, fault: BodyFault | undefined, hooks: RelayHooks): void {
  let cut = false;
  const write = async (chunk: Buffer): Promise<void> => {
    if (chunk.length === 0) return;
    hooks.add(chunk.length);
    if (!to.write(chunk)) await drained(to);
  };
  const pass = async (chunk: Buffer): Promise<void> => {
    if (fault === undefined) return write(chunk);
    if (fault.kind === 'trickle') {
      const slow = Math.max(0, Math.min(chunk.length, (fault.bytes ?? Number.POSITIVE_INFINITY) - hooks.sent()));
      const step = Math.max(1, Math.min(16 * 1024, Math.floor(fault.bytesPerSecond / TRICKLE_STEPS_PER_SECOND)));
      for (let pos = 0; pos < slow; pos += step) {
        const slice = chunk.subarray(pos, Math.min(pos + step, slow));
        await write(slice);
        await sleep((slice.length * 1000) / fault.bytesPerSecond);
      }
      return write(chunk.subarray(slow));
    }
    const room = (fault.afterBytes ?? 0) - hooks.sent();
    if (room >= chunk.length) return write(chunk);
    await write(chunk.subarray(0, Math.max(0, room)));
    cut = true;
    hooks.cut(fault);
  };
  if (fault?.kind === 'stall' && (fault.afterBytes ?? 0) === 0 && hooks.atOnce) {
    cut = true;
    from.pause();
    hooks.cut(fault);
    return;
  }
  // 'end' can come while the last chunk is still on its way (a trickle, a wait for drain): it waits its turn.
  let passing: Promise<void> = Promise.resolve();
  from.on('data', (chunk: Buffer) => {
    if (cut) return;
    from.pause();
    passing = pass(chunk).then(
      () => {
        if (!cut || fault?.kind !== 'stall') from.resume();
      },
      () => {
        from.destroy();
      },
    );
  });
  from.on('end', () => {
    void passing.then(() => {
      if (!cut) hooks.done();
    });
  });
}

/** drained resolves once `to` takes more data, or has closed (then nothing more is written to it anyway). */
function drained(to: Writable): Promise<void> {
  if (to.destroyed || to.writableEnded) return Promise.resolve();
  return new Promise((resolve) => {
    const settle = (): void => {
      to.off('drain', settle);
      to.off('close', settle);
      to.off('error', settle);
      resolve();
    };
    to.on('drain', settle);
    to.on('close', settle);
    to.on('error', settle);
  });
}

function strip(headers: IncomingHttpHeaders): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(headers)) if (v !== undefined && !HOP_BY_HOP.has(k)) out[k] = v;
  return out;
}
