import { access, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DONE_FILE } from '../../src/materialize/marker-files.js';
import type { MaterializeLayout } from '../../src/materialize/materialize-plan.js';
import { openMaterializePlan } from '../../src/materialize/materialize-model.js';
import { pullScript, type PullScriptOptions } from '../../src/materialize/pull-script.js';
import { writePlan } from '../../src/materialize/write-plan.js';
import { busyboxShell, type BusyboxShell } from '../support/busybox.js';
import { runCli } from '../support/cli.js';
import { readTree, treeDifference } from '../support/file-tree.js';
import { expectCode } from '../support/matchers.js';
import { buildModelBundle, digestOf, type ModelBundle } from '../support/model-fixtures.js';
import { startRegistry, type RunningRegistry } from '../support/registry.js';
import { useTempDirs } from '../support/temp-dir.js';

const tempDir = useTempDirs();
const USER = 'puller';
const PASSWORD = 'pa55 word';
let shared: string;
let fx: ModelBundle;
let sh: BusyboxShell;
let open: RunningRegistry;
let locked: RunningRegistry;

beforeAll(async () => {
  shared = await mkdtemp(join(tmpdir(), 'airbundle-pull-'));
  fx = await buildModelBundle(shared);
  sh = await busyboxShell();
  [open, locked] = await Promise.all([startRegistry(), startRegistry({ htpasswd: { user: USER, password: PASSWORD } })]);
  const pushOpen = await runCli(['push', fx.bundle, '--registry', open.host, '--plain-http']);
  expect(pushOpen.code, pushOpen.stderr).toBe(0);
  const pushLocked = await runCli(['push', fx.bundle, '--registry', `${locked.host}/team`, '--plain-http', '--username', USER, '--password-stdin'], {}, PASSWORD);
  expect(pushLocked.code, pushLocked.stderr).toBe(0);
});

afterAll(async () => {
  await Promise.all([open?.stop(), locked?.stop()]);
  await rm(shared, { recursive: true, force: true });
  if (sh !== undefined) await rm(sh.bin, { recursive: true, force: true });
});

/** pull renders the pull script for a layout and runs it with busybox into a fresh directory. */
async function pull(layout: MaterializeLayout, options: PullScriptOptions, dest?: string, env: NodeJS.ProcessEnv = {}): Promise<{ dest: string; code: number; stdout: string; stderr: string; expected: string }> {
  const opened = await openMaterializePlan(fx.bundle, { model: 'tiny', layout });
  try {
    const dir = await tempDir();
    const script = join(dir, 'pull.sh');
    await writeFile(script, pullScript(opened.plan, options));
    const target = dest ?? join(dir, 'pvc');
    const r = await sh.run([script, target], { env });
    const expected = join(dir, 'expected');
    await writePlan(opened.plan, expected);
    return { dest: target, expected, ...r };
  } finally {
    await opened.close();
  }
}

describe('in-cluster pull transport: pullScript under busybox against a real registry', () => {
  for (const layout of ['plain', 'hf-cache'] as MaterializeLayout[]) {
    it(`fetches every blob with wget, checks it and leaves the same files as materialize (${layout}); a re-run changes nothing`, async () => {
      const r = await pull(layout, { registry: open.host, repository: 'models/tiny', plainHttp: true });
      expect(r.code, r.stderr).toBe(0);
      const got = await readTree(r.dest);
      expect(treeDifference(got, await readTree(r.expected))).toBeUndefined();
      expect([...got.keys()].some((k) => k.includes('partial'))).toBe(false);
      expect(r.stdout).toMatch(/files written/);

      const again = await pull(layout, { registry: open.host, repository: 'models/tiny', plainHttp: true }, r.dest);
      expect(again.code, again.stderr).toBe(0);
      expect(again.stdout).toContain('already in place');
      expect(treeDifference(await readTree(r.dest), got)).toBeUndefined();
    });
  }

  it('sends basic credentials to a registry with htpasswd, from the script or from AIRBUNDLE_BASIC_AUTH; without them it fails and writes nothing', async () => {
    const base = { registry: locked.host, repository: 'team/models/tiny', plainHttp: true };
    const embedded = await pull('plain', { ...base, basicAuth: { username: USER, password: PASSWORD } });
    expect(embedded.code, embedded.stderr).toBe(0);
    expect(treeDifference(await readTree(embedded.dest), await readTree(embedded.expected))).toBeUndefined();

    const fromEnv = await pull('plain', base, undefined, { AIRBUNDLE_BASIC_AUTH: Buffer.from(`${USER}:${PASSWORD}`).toString('base64') });
    expect(fromEnv.code, fromEnv.stderr).toBe(0);

    const denied = await pull('plain', base);
    expect(denied.code).not.toBe(0);
    expect(denied.stderr).toContain('download of sha256:');
    expect((await readdir(denied.dest)).filter((n) => !n.startsWith('.'))).toEqual([]);
    await expect(access(join(denied.dest, DONE_FILE))).rejects.toThrow();
  });

  it('continues a partial download with wget -c, and starts over when the partial bytes were wrong', async () => {
    const big = fx.files['model.safetensors']!;
    for (const head of [big.subarray(0, 1_000_000), Buffer.alloc(1_000_000, 7)]) {
      const dest = join(await tempDir(), 'pvc');
      await mkdir(dest);
      await writeFile(join(dest, '.model.safetensors.airbundle-partial'), head);
      const r = await pull('plain', { registry: open.host, repository: 'models/tiny', plainHttp: true }, dest);
      expect(r.code, r.stderr).toBe(0);
      expect((await readFile(join(dest, 'model.safetensors'))).equals(big)).toBe(true);
    }
  });

  it('a blob damaged in the registry fails the script and never gets its final name', async () => {
    const hex = digestOf(fx.files['model.safetensors']!).slice('sha256:'.length);
    const data = join(open.dataDir, 'docker', 'registry', 'v2', 'blobs', 'sha256', hex.slice(0, 2), hex, 'data');
    const original = await readFile(data);
    const damaged = Buffer.from(original);
    damaged[1000] ^= 0xff;
    await writeFile(data, damaged);
    try {
      const r = await pull('plain', { registry: open.host, repository: 'models/tiny', plainHttp: true });
      expect(r.code).not.toBe(0);
      expect(r.stderr).toContain('model.safetensors: the registry sent content that does not match');
      const names = await readdir(r.dest);
      expect(names).not.toContain('model.safetensors');
      expect(names).not.toContain(DONE_FILE);
      expect(names.filter((n) => n.includes('model.safetensors'))).toEqual([]); // the partial was deleted too
    } finally {
      await writeFile(data, original);
    }
  });

  it('refuses a registry or repository that is not a plain name', async () => {
    const opened = await openMaterializePlan(fx.bundle, { model: 'tiny', layout: 'plain' });
    try {
      await expectCode(Promise.resolve().then(() => pullScript(opened.plan, { registry: 'h;rm -rf /', repository: 'x' })), 'USAGE');
      await expectCode(Promise.resolve().then(() => pullScript(opened.plan, { registry: 'h:5000', repository: "x'y" })), 'USAGE');
    } finally {
      await opened.close();
    }
  });
});
