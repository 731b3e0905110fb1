/**
 * UploadLedger reads what the fault proxy saw of a push (request bodies received from the client) as units of
 * content: a blob (keyed by digest, or by upload session while its digest is not known), a manifest pushed by
 * digest, and tag PUTs apart (a run re-asserts its tags last, by design). From the records of a killed run and
 * its rerun it works out the bytes sent twice, the units in flight at the kill, and finished units sent again.
 */
import type { ProxiedRequest } from '../support/fault-proxy.js';

/** UnitTraffic is one unit's bytes in a run, and whether the run finished it. */
interface UnitTraffic {
  bytes: number;
  finished: boolean;
  started: boolean;
}

/** RunTraffic is a run's traffic by unit, plus its tag PUTs. */
export interface RunTraffic {
  units: Map<string, UnitTraffic>;
  tagPuts: number;
  patches: number;
}

/** trafficOf groups a run's proxy records by unit. */
export function trafficOf(records: ProxiedRequest[]): RunTraffic {
  const units = new Map<string, UnitTraffic>();
  const sessions = new Map<string, string>();
  let tagPuts = 0;
  let patches = 0;
  // First pass: which upload session carried which digest (the final PUT names it).
  for (const r of records) {
    const u = new URL(r.url, 'http://x');
    const session = /\/blobs\/uploads\/([^/?]+)/.exec(u.pathname)?.[1];
    const digest = u.searchParams.get('digest');
    if (session !== undefined && digest !== null) sessions.set(session, digest);
  }
  for (const r of records) {
    if (r.method !== 'PUT' && r.method !== 'PATCH') continue;
    const u = new URL(r.url, 'http://x');
    const session = /\/blobs\/uploads\/([^/?]+)/.exec(u.pathname)?.[1];
    const manifest = /\/manifests\/([^/]+)$/.exec(u.pathname)?.[1];
    let key: string;
    if (session !== undefined) key = sessions.get(session) ?? `session:${session}`;
    else if (manifest?.startsWith('sha256:') === true) key = manifest;
    else {
      if (manifest !== undefined) tagPuts += 1;
      continue;
    }
    if (r.method === 'PATCH') patches += 1;
    const t = units.get(key) ?? { bytes: 0, finished: false, started: false };
    t.bytes += r.requestBytes;
    t.started = true;
    if (r.method === 'PUT' && (r.status === 201 || r.status === 204)) t.finished = true;
    units.set(key, t);
  }
  return { units, tagPuts, patches };
}

/** Settlement is the verdict on a killed run and its rerun. */
export interface Settlement {
  /** Bytes beyond one copy of each unit, over both runs. */
  reTransferred: number;
  /** Units started but not finished by the killed run, and the sum of their sizes (the DESIGN §2.4 bound). */
  inFlight: string[];
  bound: number;
  /** Units the killed run finished that the rerun sent again (must be none). */
  resent: string[];
  /** Bytes the killed run sent. */
  killedRunBytes: number;
}

/** settle compares a killed run with its rerun; `sizeOf` gives a unit's size (the largest blob when unknown). */
export function settle(killed: RunTraffic, rerun: RunTraffic, sizeOf: (key: string) => number): Settlement {
  let reTransferred = 0;
  let killedRunBytes = 0;
  const inFlight: string[] = [];
  const resent: string[] = [];
  for (const [key, t] of killed.units) {
    killedRunBytes += t.bytes;
    if (t.started && !t.finished) inFlight.push(key);
    if (t.finished && (rerun.units.get(key)?.bytes ?? 0) > 0) resent.push(key);
  }
  for (const key of new Set([...killed.units.keys(), ...rerun.units.keys()])) {
    const total = (killed.units.get(key)?.bytes ?? 0) + (rerun.units.get(key)?.bytes ?? 0);
    // A session whose digest never showed (cut mid-PATCH) counts whole: its blob went again under its digest.
    reTransferred += key.startsWith('session:') ? total : Math.max(0, total - sizeOf(key));
  }
  return { reTransferred, inFlight, bound: inFlight.reduce((n, k) => n + sizeOf(k), 0), resent, killedRunBytes };
}
