import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { access, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MaterializeResult } from '../../src/materialize/index.js';
import { REPO, runCli } from '../support/cli.js';
import { buildModelBundle, type ModelBundle } from '../support/model-fixtures.js';
import { useTempDirs } from '../support/temp-dir.js';

const tempDir = useTempDirs();
let shared: string;
let fx: ModelBundle;

/** What `bundle materialize --json` prints: the library's result. */
type ResultJson = MaterializeResult;

beforeAll(async () => {
  shared = await mkdtemp(join(tmpdir(), 'airbundle-mat-cli-'));
  // A 48 MiB weights file in an uncompressed tar: long enough to be killed in the middle of.
  fx = await buildModelBundle(shared, 'b.tar', { 'model-00002.safetensors': randomBytes(48 * 1024 * 1024) });
});

afterAll(async () => {
  await rm(shared, { recursive: true, force: true });
});

describe('bundle materialize', () => {
  it('writes the hf-cache layout and prints the result as JSON; a second run writes nothing', async () => {
    const to = join(await tempDir(), 'hub');
    const r = await runCli(['materialize', fx.bundle, '--model', 'tiny', '--layout', 'hf-cache', '--to', to, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const result = JSON.parse(r.stdout) as ResultJson;
    expect(result).toMatchObject({ written: 6, skipped: 0, root: to, modelName: 'airbundle/tiny', layout: 'hf-cache' });
    expect((await readFile(join(result.modelPath, 'config.json'))).equals(fx.files['config.json']!)).toBe(true);

    const again = await runCli(['materialize', fx.bundle, '--model', 'models/tiny:0.2.0', '--layout', 'hf-cache', '--to', to]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain('already complete');
    expect(again.stdout).toContain(`HF_HUB_CACHE=${to}`);
  });

  it('exits 2 with a clear message for an unknown model, a layout it does not know, or --layout ollama on a file model', async () => {
    const to = await tempDir();
    const unknown = await runCli(['materialize', fx.bundle, '--model', 'nope', '--layout', 'plain', '--to', to]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('error [USAGE]');
    expect(unknown.stderr).toContain('tiny');
    const badLayout = await runCli(['materialize', fx.bundle, '--model', 'tiny', '--layout', 'zip', '--to', to]);
    expect(badLayout.code).toBe(2);
    const ollama = await runCli(['materialize', fx.bundle, '--model', 'tiny', '--layout', 'ollama', '--to', to, '--json']);
    expect(ollama.code).toBe(2);
    expect((JSON.parse(ollama.stdout) as { error: { code: string } }).error.code).toBe('USAGE');
  });

  it('resumes after SIGKILL half way; the run after that writes nothing', async () => {
    const to = join(await tempDir(), 'pvc');
    const partial = join(to, '.model-00002.safetensors.airbundle-partial');
    const child = spawn(process.execPath, [join(REPO, 'bin', 'bundle.js'), 'materialize', fx.bundle, '--model', 'tiny', '--layout', 'plain', '--to', to, '--json'], { stdio: 'ignore' });
    const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
    let killedMidway = false;
    for (let i = 0; i < 2000 && child.exitCode === null; i++) {
      const size = (await stat(partial).catch(() => undefined))?.size ?? 0;
      if (size > 0) {
        child.kill('SIGKILL');
        killedMidway = true;
        break;
      }
      await sleep(2);
    }
    await exited;
    const big = fx.files['model-00002.safetensors']!;
    const left = killedMidway ? (await stat(partial).catch(() => undefined))?.size ?? 0 : 0;
    if (killedMidway) await expect(access(join(to, '.done'))).rejects.toThrow();

    const second = await runCli(['materialize', fx.bundle, '--model', 'tiny', '--layout', 'plain', '--to', to, '--json']);
    expect(second.code, second.stderr).toBe(0);
    const r2 = JSON.parse(second.stdout) as ResultJson;
    if (killedMidway) {
      expect(r2.written).toBeGreaterThan(0);
      expect(r2.written + r2.skipped).toBe(5);
      expect(r2.bytes).toBeLessThanOrEqual(Object.values(fx.files).reduce((n, b) => n + b.length, 0) - left);
    }
    expect((await readFile(join(to, 'model-00002.safetensors'))).equals(big)).toBe(true);

    const third = await runCli(['materialize', fx.bundle, '--model', 'tiny', '--layout', 'plain', '--to', to, '--json']);
    expect(third.code, third.stderr).toBe(0);
    expect(JSON.parse(third.stdout)).toMatchObject({ written: 0, skipped: 5, bytes: 0 });
  });
});
