/**
 * The fault matrix (issue 7, item 2): the real CLI through the fault proxy, for every row of fault-cases.ts,
 * against `bundle push` into distribution 2.8 (push-target.ts) and `bundle build` from the Hugging Face Hub
 * emulator (hf-build-target.ts). The fault strikes the request that carries the big body, not just the first
 * request. Each case ends as its row says: exit 0 with a byte-exact result, or exit 1 naming the row's error code
 * (stderr and JSON), with nothing corrupt or half-done left behind. Without wall-clock assertions: bounded waits
 * come from the CLI's own retry limits and from the proxy dropping stalled flows (see README.md for stalls that
 * are never dropped). Cases run concurrently, each with its own proxy, repository prefix, output and cache.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy.js';
import { FAULT_CASES, type FaultCase, type Outcome } from './fault-cases.js';
import { expectOutcome, type FaultTarget } from './fault-target.js';
import { startHfBuildTarget } from './hf-build-target.js';
import { startPushTarget } from './push-target.js';

/** BIG is the big body: a bit over three mid-body strikes (fault-cases.ts MID), so a resumed download needs four. */
const BIG = 1024 * 1024 + 512 * 1024 + 17;

interface TargetRow {
  title: string;
  start: (work: string) => Promise<FaultTarget>;
  outcome: (c: FaultCase) => Outcome;
}

const TARGETS: TargetRow[] = [
  { title: 'bundle push into distribution 2.8', start: (work) => startPushTarget(work, BIG), outcome: (c) => c.push },
  { title: 'bundle build from the Hugging Face Hub', start: (work) => startHfBuildTarget(work, BIG), outcome: (c) => c.hf },
];

let work: string;
const proxies: FaultProxy[] = [];

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'airbundle-faults-'));
});

afterAll(async () => {
  await Promise.all(proxies.splice(0).map((p) => p.stop()));
  await rm(work, { recursive: true, force: true });
});

for (const row of TARGETS) {
  describe.concurrent(`fault matrix: ${row.title}`, () => {
    let target: FaultTarget;
    beforeAll(async () => {
      target = await row.start(await mkdtemp(join(work, 'target-')));
    });
    afterAll(async () => {
      await target.stop();
    });

    it.for(FAULT_CASES.map((c, i) => ({ ...c, i, outcome: row.outcome(c) })))('$fault → $outcome', async (c, { expect }) => {
      const proxy = await startFaultProxy(target.upstream);
      proxies.push(proxy);
      proxy.addFault({ match: target.bigBody, times: c.times, action: c.action(target.direction) });
      const run = await target.run(proxy, `c${c.i}`);

      const struck = proxy.requests.filter((q) => q.fault !== undefined);
      expect(struck.length, 'the fault struck the big body').toBeGreaterThan(0);
      if (c.cutAt !== undefined) {
        const passed = struck.map((q) => (target.direction === 'request' ? q.requestBytes : q.responseBytes));
        expect(passed, 'bytes through before the cut').toContain(c.cutAt);
      }
      if (c.bigBodyRequests !== undefined) expect(proxy.requests.filter(target.bigBody)).toHaveLength(c.bigBodyRequests);
      await expectOutcome(expect, run, c.outcome);
    });
  });
}
