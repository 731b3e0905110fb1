/**
 * A fault-injecting HTTP proxy on loopback, for testing retry, resume and re-auth against a real server. Requests
 * go through unchanged (the Host header too, so a registry's absolute Location URLs point back at the proxy), and
 * every request is recorded. Faults are queued rules, each for the next `times` requests that `match`:
 *   - `status`: answer with a status (and headers/body) without forwarding, e.g. 503 or 401;
 *   - `reset`: forward `afterBytes` bytes of the request (or response) body, then reset both connections;
 *   - `stall`: forward `afterBytes` bytes, then go silent with the connections open.
 */
import { request as httpRequest, createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** FaultAction is what a fault does to a request. */
export type FaultAction =
  | { kind: 'status'; status: number; headers?: Record<string, string>; body?: string }
  | { kind: 'reset'; afterBytes: number; direction?: 'request' | 'response' }
  | { kind: 'stall'; afterBytes?: number; direction?: 'request' | 'response' };

/** RequestInfo is what a fault's `match` sees. */
export interface RequestInfo {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
}

/** Fault applies `action` to the next `times` (default 1) requests that `match` (default all). */
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
  resetAfter(afterBytes: number, match?: Fault['match'], direction?: 'request' | 'response'): void;
  /** stallNext goes silent on the next matching request after `afterBytes` bytes. */
  stallNext(match?: Fault['match'], afterBytes?: number, direction?: 'request' | 'response'): void;
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
      req.socket.resetAndDestroy();
    };
    const upstream = httpRequest(
      { host: targetHost, port: Number(targetPort), method: req.method, path: req.url, headers: strip(req.headers), agent: false },
      (ures) => {
        record.status = ures.statusCode;
        res.writeHead(ures.statusCode ?? 502, strip(ures.headers));
        let stalled = false;
        ures.on('data', (chunk: Buffer) => {
          if (stalled) return;
          let out = chunk;
          if (onResponse !== undefined) {
            const limit = onResponse.kind === 'reset' ? onResponse.afterBytes : (onResponse.afterBytes ?? 0);
            const room = limit - record.responseBytes;
            if (room < out.length) {
              out = out.subarray(0, Math.max(0, room));
              if (out.length > 0) res.write(out);
              record.responseBytes += out.length;
              if (onResponse.kind === 'reset') setImmediate(resetBoth);
              else {
                stalled = true;
                ures.pause();
              }
              return;
            }
          }
          record.responseBytes += out.length;
          if (!res.write(out)) {
            ures.pause();
            res.once('drain', () => ures.resume());
          }
        });
        ures.on('end', () => {
          if (!stalled) res.end();
        });
      },
    );
    upstream.on('error', () => req.socket.destroy());
    let cut = false;
    req.on('data', (chunk: Buffer) => {
      if (cut) return;
      let out = chunk;
      if (onRequest !== undefined) {
        const limit = onRequest.kind === 'reset' ? onRequest.afterBytes : (onRequest.afterBytes ?? 0);
        const room = limit - record.requestBytes;
        if (room < out.length) {
          out = out.subarray(0, Math.max(0, room));
          record.requestBytes += out.length;
          if (out.length > 0) upstream.write(out);
          cut = true;
          if (onRequest.kind === 'reset') setImmediate(resetBoth);
          else req.pause();
          return;
        }
      }
      record.requestBytes += out.length;
      if (!upstream.write(out)) {
        req.pause();
        upstream.once('drain', () => req.resume());
      }
    });
    req.on('end', () => {
      if (!cut) upstream.end();
    });
    req.on('error', () => upstream.destroy());
    if (onRequest?.kind === 'stall' && (onRequest.afterBytes ?? 0) === 0 && req.headers['content-length'] === undefined) {
      // Nothing to count on a bodiless request: stall it outright.
      cut = true;
      req.pause();
    }
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
  return {
    host: `127.0.0.1:${port}`,
    requests,
    addFault: add,
    failNext: (times, status, match, headers) => add({ times, ...(match === undefined ? {} : { match }), action: { kind: 'status', status, ...(headers === undefined ? {} : { headers }) } }),
    resetAfter: (afterBytes, match, direction) => add({ ...(match === undefined ? {} : { match }), action: { kind: 'reset', afterBytes, ...(direction === undefined ? {} : { direction }) } }),
    stallNext: (match, afterBytes, direction) =>
      add({ ...(match === undefined ? {} : { match }), action: { kind: 'stall', ...(afterBytes === undefined ? {} : { afterBytes }), ...(direction === undefined ? {} : { direction }) } }),
    clearFaults: () => {
      faults.length = 0;
    },
    stop: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function strip(headers: IncomingHttpHeaders): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(headers)) if (v !== undefined && !HOP_BY_HOP.has(k)) out[k] = v;
  return out;
}
