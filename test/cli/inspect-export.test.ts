import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli, runTool } from '../support/cli.js';
import { writeFixtureSpec, type FixtureSpec } from '../support/fixture-bundle.js';

let fx: FixtureSpec;
let work: string;
let out: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'airbundle-export-'));
  fx = await writeFixtureSpec(join(work, 'spec'), { bigSize: 3 * 1024 * 1024 });
  out = join(work, 'x.tar.zst');
  const r = await runCli(['build', fx.spec, '--out', out, '--cache', join(work, 'cache'), '--volume-size', '1M']);
  expect(r.code, r.stderr).toBe(0);
});

interface Inspected {
  name: string;
  form: string;
  signature: { state: string };
  artifacts: Array<{ kind: string; name: string; ref: string; source: string; root: { digest: string }; totalSize: number; provenance: { type: string; uri: string } }>;
  totals: { artifacts: number; blobs: number; bytes: number };
  volumes: Array<{ name: string }>;
}

describe('bundle inspect', () => {
  it('lists artifacts with kind, name, source, digest, size, provenance and totals', async () => {
    const r = await runCli(['inspect', `${out}.000`, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as Inspected;
    expect(report.name).toBe('fixture');
    expect(report.signature.state).toBe('unsigned');
    expect(report.artifacts.map((a) => [a.kind, a.ref])).toEqual([
      ['model', 'models/big:1.2.3'],
      ['image', 'demo/hello:v1'],
    ]);
    expect(report.artifacts[0]!.totalSize).toBeGreaterThan(3 * 1024 * 1024);
    expect(report.artifacts[0]!.provenance.type).toBe('file');
    expect(report.artifacts[1]!.provenance.uri).toContain('images/hello:v1');
    expect(report.volumes.length).toBeGreaterThanOrEqual(3);
    const human = await runCli(['inspect', `${out}.parts.json`]);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/KIND\s+NAME\s+REF\s+DIGEST\s+SIZE\s+SOURCE/);
    expect(human.stdout).toContain('models/big:1.2.3');
    expect(human.stdout).toContain('Provenance');
  });
});

describe('bundle export', () => {
  it('writes an OCI layout that skopeo inspects and copies, with the bundle digests', async () => {
    const layout = join(work, 'layout');
    const r = await runCli(['export', `${out}.000`, '--oci-layout', layout, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const refs = JSON.parse(r.stdout) as Array<{ ref: string; digest: string }>;
    const index = JSON.parse(await readFile(join(layout, 'index.json'), 'utf8')) as { manifests: Array<{ annotations: Record<string, string> }> };
    expect(index.manifests.map((m) => m.annotations['org.opencontainers.image.ref.name']).sort()).toEqual(['demo/hello:v1', 'models/big:1.2.3']);
    for (const { ref, digest } of refs) {
      const raw = await runTool('skopeo', ['inspect', '--raw', `oci:${layout}:${ref}`]);
      expect(raw.code, raw.stderr).toBe(0);
      const { createHash } = await import('node:crypto');
      expect(`sha256:${createHash('sha256').update(raw.stdout).digest('hex')}`).toBe(digest);
      const dest = join(work, `copy-${ref.replace(/[/:]/g, '_')}`);
      const copy = await runTool('skopeo', ['copy', '--preserve-digests', `oci:${layout}:${ref}`, `oci:${dest}:x`]);
      expect(copy.code, copy.stderr).toBe(0);
      const copied = JSON.parse(await readFile(join(dest, 'index.json'), 'utf8')) as { manifests: Array<{ digest: string }> };
      expect(copied.manifests[0]!.digest).toBe(digest);
    }
    const img = await runTool('skopeo', ['inspect', `oci:${layout}:demo/hello:v1`]);
    expect(img.code, img.stderr).toBe(0);
    expect(JSON.parse(img.stdout)).toMatchObject({ Architecture: 'amd64', Os: 'linux' });
  });
});
