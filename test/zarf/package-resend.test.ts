import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { pushZarfPackage } from '../../zarf-compat/index.js';
import { runTool } from '../support/cli.js';
import { startFaultProxy } from '../support/fault-proxy.js';
import { startRegistry } from '../support/registry.js';
import { writeSyntheticPackage } from './zarf-fixture.js';

describe('a Zarf package push cut off half way', () => {
  it('sends the blob again in another pass over the package, and tags only once every blob is there', async () => {
    const registry = await startRegistry();
    const work = await mkdtemp(join(tmpdir(), 'airbundle-zarf-cut-'));
    const proxy = await startFaultProxy(registry.host);
    try {
      const pkg = join(work, 'zarf-package-big-amd64-1.0.0.tar.zst');
      const { digest } = await writeSyntheticPackage(pkg, 8 * 1024 * 1024);
      // Every upload of the big layer is cut after 1 MiB, three times: the monolithic PUT of the first pass and its
      // retries fail, and the bytes have streamed past; the next pass sends the blob again.
      proxy.addFault({ match: (r) => r.method === 'PUT' && r.url.includes('/blobs/uploads/'), times: 3, action: { kind: 'reset', afterBytes: 1024 * 1024 } });
      const r = await pushZarfPackage(pkg, { registry: proxy.host, connection: { plainHttp: true, credentials: false, retry: { baseDelayMs: 1, maxDelayMs: 5 } } });
      expect(r.push.passes).toBeGreaterThanOrEqual(2);
      const seen = await runTool('skopeo', ['inspect', '--tls-verify=false', `docker://${registry.host}/big/data:1.0`]);
      expect(seen.code, seen.stderr).toBe(0);
      expect((JSON.parse(seen.stdout) as { Digest: string }).Digest).toBe(digest);
    } finally {
      await proxy.stop();
      await registry.stop();
      await rm(work, { recursive: true, force: true });
    }
  });
});
