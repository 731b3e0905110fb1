import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO, runCli, runTool } from '../support/cli.js';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy.js';
import { startRegistry, type RunningRegistry } from '../support/registry.js';

let work: string;
let reg: RunningRegistry;
let proxy: FaultProxy;
let bundle: string;
let blobs: Array<{ digest: string; size: number; mediaType: string }>;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'airbundle-push-kill-'));
  await mkdir(join(work, 'm'), { recursive: true });
  for (let i = 0; i < 8; i++) await writeFile(join(work, 'm', `shard-${i}.safetensors`), randomBytes(8 * 1024 * 1024));
  await writeFile(join(work, 'bundle.yaml'), 'apiVersion: airbundle.dev/v1\nkind: Bundle\nmetadata: {name: k, version: "1"}\nmodels:\n  - {name: shards, source: file://./m}\n');
  bundle = join(work, 'k.tar');
  const built = await runCli(['build', join(work, 'bundle.yaml'), '--out', bundle, '--cache', join(work, 'cache')]);
  expect(built.code, built.stderr).toBe(0);
  const { BundleReader } = await import('../../src/bundle/reader.js');
  const reader = await BundleReader.open(bundle);
  blobs = reader.manifest.blobs.map((b) => ({ digest: b.digest, size: b.size, mediaType: b.mediaType }));
  await reader.close();
  reg = await startRegistry();
  proxy = await startFaultProxy(reg.host);
});

afterAll(async () => {
  await proxy.stop();
  await reg.stop();
  await rm(work, { recursive: true, force: true });
});

/** present lists the blobs the registry holds completely (HEAD answers 200 with the right size). */
async function present(): Promise<Set<string>> {
  const out = new Set<string>();
  for (const b of blobs) {
    if (b.mediaType.endsWith('manifest.v1+json')) continue;
    const res = await fetch(`http://${reg.host}/v2/models/shards/blobs/${b.digest}`, { method: 'HEAD' });
    if (res.status === 200 && Number(res.headers.get('content-length')) === b.size) out.add(b.digest);
  }
  return out;
}

describe('bundle push, killed at random points', () => {
  it('completes on rerun, never leaves a tag whose blobs are missing, and never resends a finished blob', async () => {
    // Kill after k blob uploads have finished, plus a random few milliseconds: mid-blob or between blobs.
    for (const k of [1, 3, 6]) {
      const child = spawn(process.execPath, [join(REPO, 'bin', 'bundle.js'), 'push', bundle, '--registry', proxy.host, '--plain-http', '-j', '2'], {
        stdio: 'ignore',
        env: { ...process.env, CI: '1' },
      });
      const finished = (): number => proxy.requests.filter((q) => q.method === 'PUT' && q.status === 201).length;
      const deadline = Date.now() + 20_000;
      while (finished() < k && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
      await new Promise((r) => setTimeout(r, Math.floor(Math.random() * 40)));
      child.kill('SIGKILL');
      await new Promise((r) => child.on('exit', r));

      // Whatever is tagged must be complete: skopeo can copy it.
      const tags = (await (await fetch(`http://${reg.host}/v2/models/shards/tags/list`)).json().catch(() => ({}))) as { tags?: string[] | null };
      for (const tag of tags.tags ?? []) {
        const copy = await runTool('skopeo', ['copy', '--src-tls-verify=false', `docker://${reg.host}/models/shards:${tag}`, `oci:${join(work, 'probe')}:x`]);
        expect(copy.code, copy.stderr).toBe(0);
      }

      const done = await present();
      expect(done.size, `trial ${k}: the kill should land mid-push`).toBeGreaterThanOrEqual(1);
      const before = proxy.requests.length;
      const rerun = await runCli(['push', bundle, '--registry', proxy.host, '--plain-http', '--json']);
      expect(rerun.code, rerun.stderr).toBe(0);
      const sentAgain = proxy.requests
        .slice(before)
        .filter((q) => (q.method === 'PUT' || q.method === 'PATCH') && q.requestBytes > 0)
        .map((q) => new URL(q.url, 'http://x').searchParams.get('digest'))
        .filter((d): d is string => d !== null && done.has(d));
      expect(sentAgain, 'blobs complete before the rerun were sent again').toEqual([]);
      expect((await present()).size).toBe(blobs.filter((b) => !b.mediaType.endsWith('manifest.v1+json')).length);

      // Start the next trial from an empty repository.
      await reg.stop();
      reg = await startRegistry();
      await proxy.stop();
      proxy = await startFaultProxy(reg.host);
    }
  });
});
