/**
 * A well-formed archive whose content lies: bundle.json listing a blob twice, with the wrong size, with too few
 * chunk digests, or not at all; an OCI manifest over 4 MiB; a descriptor pointing at a blob the bundle lacks.
 * Each is refused by every command that would copy the bundle somewhere before anything is written, and reported
 * by verify (exit 1) with the same code.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { startRegistry, type RunningRegistry } from '../support/registry.js';
import { buildFixture, EditableBundle, expectRefusedEverywhere, type FixtureBundle, type Targets } from './craft.js';

let work: string;
let reg: RunningRegistry;
let fx: FixtureBundle;
let targets: Targets;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'airbundle-hostile-content-'));
  reg = await startRegistry();
  fx = await buildFixture(work);
  targets = { work, registry: reg.host };
});

afterAll(async () => {
  await reg?.stop();
  await rm(work, { recursive: true, force: true });
});

let n = 0;
function edit(): EditableBundle {
  return new EditableBundle(fx.members);
}
async function write(b: EditableBundle): Promise<string> {
  n += 1;
  return b.writeTar(join(work, `content-${n}.tar`));
}

/** The model's manifest (parsed) and the weights layer descriptor. */
function modelManifest(b: EditableBundle): { doc: { layers: Array<{ digest: string; size: number; mediaType: string; annotations?: Record<string, string> }> } & Record<string, unknown>; weights: { digest: string; size: number } } {
  const doc = JSON.parse(b.blobOf(b.artifact('model').root.digest).toString('utf8')) as ReturnType<typeof modelManifest>['doc'];
  const weights = doc.layers.reduce((a, l) => (l.size > a.size ? l : a));
  return { doc, weights };
}

describe('bundle.json', () => {
  it('listing a blob twice is refused at open by every command (BUNDLE_CORRUPT)', async () => {
    const b = edit();
    const m = b.manifest;
    m.blobs.push({ ...m.blobs[0]! });
    b.setManifest(m);
    await expectRefusedEverywhere(await write(b), { exit: 1, code: 'BUNDLE_CORRUPT', names: new RegExp(`lists ${m.blobs[0]!.digest} a second time`) }, targets);
  });

  it('with fewer chunk digests than the blob has chunks is refused at open (BUNDLE_CORRUPT): bytes must not escape verify', async () => {
    const b = edit();
    const m = b.manifest;
    const big = m.blobs.find((x) => x.chunks !== undefined)!;
    big.chunks = big.chunks!.slice(0, 1);
    b.setManifest(m);
    await expectRefusedEverywhere(await write(b), { exit: 1, code: 'BUNDLE_CORRUPT', names: /has 1 chunk digests, 2 expected/ }, targets);
  });

  it('listing a blob with the wrong size: verify names it, the others refuse before writing (SIZE_MISMATCH)', async () => {
    const b = edit();
    const { weights } = modelManifest(b);
    const m = b.manifest;
    m.blobs.find((x) => x.digest === weights.digest)!.size += 1;
    b.setManifest(m);
    const names = new RegExp(`${weights.digest}.*(${weights.size + 1}|${weights.size})`);
    await expectRefusedEverywhere(await write(b), { exit: 1, code: 'SIZE_MISMATCH', names }, targets, ['verify', 'export', 'materialize', 'push']);
  });

  it('listing a blob the archive does not hold (BLOB_NOT_FOUND)', async () => {
    const b = edit();
    const { weights } = modelManifest(b);
    b.dropBlob(weights.digest);
    await expectRefusedEverywhere(await write(b), { exit: 1, code: 'BLOB_NOT_FOUND', names: new RegExp(weights.digest) }, targets, ['verify', 'export', 'materialize', 'push']);
  });

  it('leaving out a blob the archive holds and a manifest references (BUNDLE_CORRUPT): its bytes would go unverified', async () => {
    const b = edit();
    const { weights } = modelManifest(b);
    const m = b.manifest;
    m.blobs = m.blobs.filter((x) => x.digest !== weights.digest);
    b.setManifest(m);
    await expectRefusedEverywhere(await write(b), { exit: 1, code: 'BUNDLE_CORRUPT', names: /bundle\.json does not list/ }, targets, ['verify', 'export', 'materialize', 'push']);
  });
});

describe('OCI manifests inside the bundle', () => {
  it('a manifest over 4 MiB is refused before it is read into memory (SIZE_MISMATCH), by inspect too', async () => {
    const b = edit();
    const { doc } = modelManifest(b);
    const huge = Buffer.from(JSON.stringify({ ...doc, annotations: { padding: 'x'.repeat(4 * 1024 * 1024 + 100) } }));
    const digest = b.replaceRoot('model', huge);
    await expectRefusedEverywhere(await write(b), { exit: 1, code: 'SIZE_MISMATCH', names: new RegExp(`${digest} is ${huge.length} bytes, over the 4 MiB limit`) }, targets);
  });

  it('a layer descriptor pointing at a blob the bundle does not hold (BLOB_NOT_FOUND), named with its parent', async () => {
    const b = edit();
    const { doc } = modelManifest(b);
    const ghost = `sha256:${randomBytes(32).toString('hex')}`;
    doc.layers.push({ mediaType: 'application/vnd.cncf.model.weight.v1.raw', digest: ghost, size: 1234, annotations: { 'org.cncf.model.filepath': 'ghost.safetensors' } });
    const parent = b.replaceRoot('model', Buffer.from(JSON.stringify(doc)));
    await expectRefusedEverywhere(await write(b), { exit: 1, code: 'BLOB_NOT_FOUND', names: new RegExp(`${parent} references .*${ghost}, which is not in`) }, targets, [
      'verify',
      'export',
      'materialize',
      'push',
    ]);
  });

  it('the same dangling descriptor in a directory bundle, served: refused before listening (BLOB_NOT_FOUND)', async () => {
    const b = edit();
    const { doc } = modelManifest(b);
    const ghost = `sha256:${randomBytes(32).toString('hex')}`;
    doc.layers.push({ mediaType: 'application/vnd.cncf.model.weight.v1.raw', digest: ghost, size: 99, annotations: { 'org.cncf.model.filepath': 'ghost.bin' } });
    b.replaceRoot('model', Buffer.from(JSON.stringify(doc)));
    n += 1;
    const dir = await b.writeDir(join(work, `content-dir-${n}`));
    const r = await runCli(['serve', dir, '--listen', '127.0.0.1:0']);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`error \\[BLOB_NOT_FOUND\\]: .*${ghost}`));
    await expectRefusedEverywhere(dir, { exit: 1, code: 'BLOB_NOT_FOUND', names: new RegExp(ghost) }, targets, ['verify', 'export', 'materialize', 'push']);
  });
});
