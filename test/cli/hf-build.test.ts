import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BundleReader } from '../../src/bundle/reader.js';
import type { Descriptor } from '../../src/content/descriptor.js';
import { fetchJson } from '../../src/content/fetch-bytes.js';
import { REPO, runCli } from '../support/cli.js';
import { startHfEmulator, type HfEmulator } from '../support/hf-emulator.js';
import { useTempDirs } from '../support/temp-dir.js';

const MiB = 1024 * 1024;
const tempDir = useTempDirs();
let hub: HfEmulator | undefined;
afterEach(async () => {
  await hub?.close();
  hub = undefined;
});

const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

/** env points the CLI at the emulator; HF_TOKEN is set explicitly so a developer's own token never leaks in. */
function env(h: HfEmulator, token = ''): NodeJS.ProcessEnv {
  return { HF_ENDPOINT: h.url, HF_TOKEN: token };
}

/** writeSpec writes a bundle.yaml with one hf:// model, and returns its path. */
async function writeSpec(dir: string, source: string, extra = ''): Promise<string> {
  const spec = join(dir, 'bundle.yaml');
  await writeFile(spec, `apiVersion: airbundle.dev/v1\nkind: Bundle\nmetadata: {name: hf, version: 1.0.0}\noptions: {chunkSize: 1M}\nmodels:\n  - name: tiny\n    source: ${source}\n${extra}`);
  return spec;
}

interface Layer extends Descriptor {
  annotations: Record<string, string>;
}

/** readModel opens a built bundle and returns the model artifact's provenance and layers by file path. */
async function readModel(bundle: string): Promise<{ provenance: unknown; layers: Map<string, Layer> }> {
  const reader = await BundleReader.open(bundle);
  try {
    const artifact = reader.manifest.artifacts.find((a) => a.name === 'tiny')!;
    const manifest = (await fetchJson(reader, artifact.root as Descriptor)) as { layers: Layer[] };
    return { provenance: artifact.provenance, layers: new Map(manifest.layers.map((l) => [l.annotations['org.cncf.model.filepath'] ?? '', l])) };
  } finally {
    await reader.close();
  }
}

function repoFiles(weightsSize: number): Record<string, Buffer> {
  return {
    'config.json': Buffer.from('{"model_type":"llama"}'),
    'tokenizer.json': Buffer.from('{"model":{"type":"BPE"}}'),
    'model-00001-of-00002.safetensors': randomBytes(weightsSize),
    'model-00002-of-00002.safetensors': randomBytes(512 * 1024 + 3),
    'README.md': Buffer.from('# tiny\n'),
  };
}

describe('bundle build from an hf:// source', () => {
  it('killed mid-file, a rerun completes, the CDN seeing only the missing range; layers carry the LFS sha256', async () => {
    hub = await startHfEmulator({ pageSize: 2 });
    const files = repoFiles(24 * MiB);
    const commit = hub.addCommit('org/tiny', { files });
    const shard = files['model-00001-of-00002.safetensors']!;
    const dir = await tempDir();
    const spec = await writeSpec(dir, 'hf://org/tiny');
    const out = join(dir, 'b.tar');
    const cache = join(dir, 'cache');

    // First run: SIGKILL once about a third of the big shard has left the CDN (no chance to clean up).
    hub.throttle(8 * MiB);
    const child = spawn(process.execPath, [join(REPO, 'bin', 'bundle.js'), 'build', spec, '--out', out, '--cache', cache], {
      stdio: 'ignore',
      env: { ...process.env, CI: '1', ...env(hub) },
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const shardPath = hub.cdnPath(shard);
    const sentForShard = (): number => hub!.bytesSent('cdn', shardPath);
    while (sentForShard() < 8 * MiB) await new Promise((r) => setTimeout(r, 50));
    child.kill('SIGKILL');
    await exited;
    await new Promise((r) => setTimeout(r, 200));
    hub.throttle(undefined);
    const sentBeforeKill = sentForShard();
    expect(sentBeforeKill).toBeLessThan(shard.length);
    const seen = hub.requests.length;

    const again = await runCli(['build', spec, '--out', out, '--cache', cache], env(hub));
    expect(again.code, again.stderr).toBe(0);
    const rerun = hub.requests.slice(seen).filter((r) => r.server === 'cdn' && r.path === shardPath);
    expect(rerun).toHaveLength(1);
    const from = Number(/^bytes=(\d+)-$/.exec(rerun[0]!.range ?? '')?.[1]);
    expect(from).toBeGreaterThan(0);
    expect(from).toBeLessThanOrEqual(sentBeforeKill);
    expect(rerun[0]).toMatchObject({ status: 206, ifRange: `"${sha256(shard)}"`, bytesSent: shard.length - from, authorization: undefined });

    const { provenance, layers } = await readModel(out);
    expect(provenance).toEqual({
      type: 'hf',
      uri: `${hub.url}/org/tiny`,
      revision: commit.sha,
      resolvedAt: commit.date.toISOString(),
      details: { repo: 'org/tiny', requested: 'main', files: '5' },
    });
    for (const f of commit.files) expect(layers.get(f.path)?.digest, f.path).toBe(`sha256:${f.sha256}`);
    const verify = await runCli(['verify', out]);
    expect(verify.code, verify.stdout + verify.stderr).toBe(0);

    // A third build downloads nothing: only the revision and tree API calls.
    const before = hub.requests.length;
    const third = await runCli(['build', spec, '--out', join(dir, 'c.tar'), '--cache', cache], env(hub));
    expect(third.code, third.stderr).toBe(0);
    expect(hub.requests.slice(before).every((r) => r.server === 'hub' && r.path.startsWith('/api/models/'))).toBe(true);
  });

  it('rejects a corrupted byte with DIGEST_MISMATCH and writes no bundle; a rerun after the fix succeeds', async () => {
    hub = await startHfEmulator();
    const files = repoFiles(3 * MiB);
    hub.addCommit('org/tiny', { files });
    const shard = files['model-00001-of-00002.safetensors']!;
    hub.corrupt(shard);
    const dir = await tempDir();
    const spec = await writeSpec(dir, 'hf://org/tiny');
    const args = ['build', spec, '--out', join(dir, 'b.tar'), '--cache', join(dir, 'cache')];
    const bad = await runCli(args, env(hub));
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('error [DIGEST_MISMATCH]');
    expect(bad.stderr).toContain('model-00001-of-00002.safetensors of org/tiny');
    expect(bad.stderr).toContain(sha256(shard));
    expect(await stat(join(dir, 'b.tar')).catch(() => undefined)).toBeUndefined();

    hub.heal(shard);
    const good = await runCli(args, env(hub));
    expect(good.code, good.stderr).toBe(0);
    expect((await readModel(join(dir, 'b.tar'))).layers.get('model-00001-of-00002.safetensors')?.digest).toBe(`sha256:${sha256(shard)}`);
  });

  it('fails clearly on a gated repo without a token, and builds with one', async () => {
    hub = await startHfEmulator();
    hub.addCommit('meta/gated', { files: repoFiles(MiB), gated: true, access: ['hf_granted'] });
    const dir = await tempDir();
    const spec = await writeSpec(dir, 'hf://meta/gated');
    const args = ['build', spec, '--out', join(dir, 'b.tar'), '--cache', join(dir, 'cache')];
    const denied = await runCli(args, env(hub));
    expect(denied.code).toBe(1);
    expect(denied.stderr).toContain('error [SOURCE_AUTH]');
    expect(denied.stderr).toContain('meta/gated');
    expect(denied.stderr).toMatch(/hint: set HF_TOKEN to a Hugging Face token with read access/);

    const ok = await runCli(args, env(hub, 'hf_granted'));
    expect(ok.code, ok.stderr).toBe(0);
    expect(hub.requests.filter((r) => r.server === 'cdn').every((r) => r.authorization === undefined)).toBe(true);
    expect(hub.requests.filter((r) => r.server === 'hub').at(-1)?.authorization).toBe('Bearer hf_granted');
  });

  it('takes the files the globs select, at a revision pinned to a commit', async () => {
    hub = await startHfEmulator();
    const old = hub.addCommit('org/tiny', { files: repoFiles(MiB) });
    hub.addCommit('org/tiny', { files: repoFiles(MiB) });
    const dir = await tempDir();
    const spec = await writeSpec(dir, `hf://org/tiny@${old.sha}`, `    include: ["*.safetensors", "*.json"]\n    exclude: ["*-00002-of-*", "tokenizer.json"]\n`);
    const r = await runCli(['build', spec, '--out', join(dir, 'b.tar'), '--cache', join(dir, 'cache')], env(hub));
    expect(r.code, r.stderr).toBe(0);
    const { provenance, layers } = await readModel(join(dir, 'b.tar'));
    expect([...layers.keys()].sort()).toEqual(['config.json', 'model-00001-of-00002.safetensors']);
    expect(provenance).toMatchObject({ revision: old.sha, details: { repo: 'org/tiny', requested: old.sha, files: '2' } });
    for (const path of layers.keys()) expect(layers.get(path)?.digest).toBe(`sha256:${old.files.find((f) => f.path === path)?.sha256}`);
    expect(hub.requests.filter((r) => r.path.includes('/resolve/')).every((r) => r.path.includes(`/resolve/${old.sha}/`))).toBe(true);
  });
});
