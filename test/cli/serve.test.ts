import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, runTool, startCli, type RunningCli } from '../support/cli.js';
import { writeFixtureSpec } from '../support/fixture-bundle.js';

let work: string;
let server: RunningCli;
let address: string;
let artifacts: Array<{ ref: string; digest: string; kind: string }>;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'airbundle-serve-'));
  const fx = await writeFixtureSpec(join(work, 'spec'));
  const out = join(work, 'b.tar.zst');
  const built = await runCli(['build', fx.spec, '--out', out, '--cache', join(work, 'cache'), '--volume-size', '2M', '--json']);
  expect(built.code, built.stderr).toBe(0);
  artifacts = (JSON.parse(built.stdout) as { artifacts: Array<{ ref: string; digest: string; kind: string }> }).artifacts;
  server = startCli(['serve', `${out}.000`, '--listen', '127.0.0.1:0', '--json']);
  address = (JSON.parse(await server.firstLine) as { address: string }).address;
});

afterAll(async () => {
  expect(await server.stop()).toBe(0);
  await rm(work, { recursive: true, force: true });
});

describe('bundle serve', () => {
  it('lets skopeo copy an image and a model artifact from a .tar.zst cut into volumes, digests unchanged', async () => {
    for (const a of artifacts) {
      const dest = join(work, `copy-${a.kind}`);
      const copy = await runTool('skopeo', ['copy', '--src-tls-verify=false', `docker://${address}/${a.ref}`, `oci:${dest}:x`]);
      expect(copy.code, copy.stderr).toBe(0);
      const raw = await runTool('skopeo', ['inspect', '--raw', `oci:${dest}:x`]);
      const { createHash } = await import('node:crypto');
      expect(`sha256:${createHash('sha256').update(raw.stdout).digest('hex')}`).toBe(a.digest);
    }
  });

  it('answers the catalog, tag lists, HEAD and Range like a registry, and 404s with OCI error codes', async () => {
    const base = `http://${address}/v2`;
    expect(await (await fetch(`${base}/_catalog`)).json()).toEqual({ repositories: ['demo/hello', 'models/big'] });
    expect(await (await fetch(`${base}/models/big/tags/list`)).json()).toEqual({ name: 'models/big', tags: ['1.2.3'] });
    const model = artifacts.find((a) => a.kind === 'model')!;
    const manifest = (await (await fetch(`${base}/models/big/manifests/1.2.3`)).json()) as { layers: Array<{ digest: string; size: number }> };
    const big = manifest.layers.reduce((a, b) => (a.size > b.size ? a : b));
    const head = await fetch(`${base}/models/big/blobs/${big.digest}`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe(String(big.size));
    const part = await fetch(`${base}/models/big/blobs/${big.digest}`, { headers: { Range: 'bytes=1048570-1048589' } });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe(`bytes 1048570-1048589/${big.size}`);
    expect((await part.arrayBuffer()).byteLength).toBe(20);
    const byDigest = await fetch(`${base}/models/big/manifests/${model.digest}`, { method: 'HEAD' });
    expect(byDigest.headers.get('docker-content-digest')).toBe(model.digest);
    const missing = await fetch(`${base}/nope/manifests/latest`);
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { errors: Array<{ code: string }> }).errors[0]!.code).toBe('NAME_UNKNOWN');
    const put = await fetch(`${base}/models/big/manifests/x`, { method: 'PUT', body: '{}' });
    expect(put.status).toBe(405);
  });
});
