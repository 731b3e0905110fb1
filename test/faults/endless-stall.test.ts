/**
 * Stalls that nothing ever drops, on every attempt: the connection stays open and silent, so only the CLI's own
 * idle timeout ends each attempt (`--timeout`, default 120 s, for registries and downloads alike). Here it is
 * `--timeout 1`, so each case takes seconds: the CLI must drop the silent connection, retry, and then either finish
 * byte for byte (a download that got bytes before each stall resumes from them) or fail with the code below once
 * its attempts run out, leaving nothing corrupt. With AIRBUNDLE_SLOW_FAULTS=1 the same cases run with the default
 * timeout (about 5 × 120 s for a push, 4 × 120 s for a download), to show the default is bounded too:
 *   AIRBUNDLE_SLOW_FAULTS=1 npx vitest run test/faults/endless-stall.test.ts
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { startFaultProxy, type FaultAction, type FaultProxy, type RequestInfo } from '../support/fault-proxy.js';
import { MID, type Outcome } from './fault-cases.js';
import { expectOutcome, type FaultTarget } from './fault-target.js';
import { startHfBuildTarget } from './hf-build-target.js';
import { startPushTarget } from './push-target.js';

const BIG = 1024 * 1024 + 512 * 1024 + 17;
const MINUTE = 60_000;
const SLOW = process.env.AIRBUNDLE_SLOW_FAULTS === '1';

interface EndlessStall {
  title: string;
  start: (work: string) => Promise<FaultTarget>;
  action: FaultAction;
  outcome: Outcome;
  /** Which requests stall (default: the target's big body); then the error names the proxy's host, not the file. */
  match?: (q: RequestInfo) => boolean;
  /** Test timeout with the default idle timeout (SLOW); with `--timeout 1` every case takes well under a minute. */
  slowTimeoutMs: number;
}

const CASES: EndlessStall[] = [
  {
    title: 'bundle push: the weights upload stalls mid-body on every attempt → REGISTRY_UNREACHABLE',
    start: (work) => startPushTarget(work, BIG),
    action: { kind: 'stall', afterBytes: MID, direction: 'request' },
    outcome: 'REGISTRY_UNREACHABLE',
    slowTimeoutMs: 15 * MINUTE,
  },
  {
    title: 'bundle build from the Hub: the weights download withholds its headers on every attempt → SOURCE_UNREACHABLE',
    start: (work) => startHfBuildTarget(work, BIG),
    action: { kind: 'stall', afterBytes: 0, direction: 'response' },
    outcome: 'SOURCE_UNREACHABLE',
    slowTimeoutMs: 12 * MINUTE,
  },
  {
    title: 'bundle build from the Hub: every API call withholds its headers → SOURCE_UNREACHABLE',
    start: (work) => startHfBuildTarget(work, BIG),
    action: { kind: 'stall', afterBytes: 0, direction: 'response' },
    match: (q) => q.url.includes('/api/models/'),
    outcome: 'SOURCE_UNREACHABLE',
    slowTimeoutMs: 15 * MINUTE,
  },
  {
    title: 'bundle build from the Hub: the weights download stalls mid-body on every attempt → ok, each attempt resumes',
    start: (work) => startHfBuildTarget(work, BIG),
    action: { kind: 'stall', afterBytes: MID, direction: 'response' },
    outcome: 'ok',
    slowTimeoutMs: 12 * MINUTE,
  },
];

let work: string;
const proxies: FaultProxy[] = [];

describe(`stalls never dropped${SLOW ? ' (default timeout, slow)' : ' (--timeout 1)'}`, () => {
  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'airbundle-stalls-'));
  });

  afterAll(async () => {
    await Promise.all(proxies.splice(0).map((p) => p.stop()));
    await rm(work, { recursive: true, force: true });
  });

  for (const c of CASES) {
    it.concurrent(c.title, { timeout: SLOW ? c.slowTimeoutMs : MINUTE }, async ({ expect }) => {
      const target = await c.start(await mkdtemp(join(work, 'target-')));
      try {
        const proxy = await startFaultProxy(target.upstream);
        proxies.push(proxy);
        proxy.addFault({ match: c.match ?? target.bigBody, times: Infinity, action: c.action });
        const run = await target.run(proxy, 'endless', SLOW ? [] : ['--timeout', '1']);
        expect(proxy.requests.filter((q) => q.fault === 'stall').length, 'stalled more than once').toBeGreaterThan(1);
        await expectOutcome(expect, run, c.outcome, c.match === undefined ? run.subjects : [proxy.host]);
        if (c.outcome !== 'ok') expect(run.result.stderr).toContain('no data for');
      } finally {
        await target.stop();
      }
    });
  }
});
