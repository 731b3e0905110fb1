import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { splitPackage } from '../../zarf-compat/index.js';
import { REPO, runTool } from '../support/cli.js';
import { startRegistry, type RunningRegistry } from '../support/registry.js';
import { writeSyntheticPackage } from './zarf-fixture.js';

const LAYER = 48 * 1024 * 1024;

/** treeBytes sums the sizes of every file under `dir` (and counts them). */
async function treeBytes(dir: string): Promise<{ bytes: number; files: number }> {
  let bytes = 0;
  let files = 0;
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (!e.isFile()) continue;
    files += 1;
    bytes += (await stat(join(e.parentPath, e.name)).catch(() => ({ size: 0 }))).size;
  }
  return { bytes, files };
}

/**
 * Peak extra disk of a package push, measured two ways:
 * 1. by the kernel's own accounting of the pushing process: `process.resourceUsage().fsWrite` (getrusage
 *    ru_oublock: 512-byte blocks the process caused to be written to storage, counted when pages are dirtied),
 *    before and after a push of a package with a 48 MiB layer, in a child process that does nothing else; the
 *    registry is another process, so what it stores is not counted. A control write of 1 MiB in the same child
 *    shows the counter works on this filesystem.
 * 2. from the CLI with a fresh, empty TMPDIR, polled every 10 ms while `bundle push` runs (size of everything in
 *    it, and of the package directory), plus the child's /proc/PID/io write_bytes sampled as it runs.
 */
describe('peak extra disk of a Zarf package push', () => {
  let registry: RunningRegistry;
  let work: string;
  let pkg: string;
  beforeAll(async () => {
    registry = await startRegistry();
    work = await mkdtemp(join(tmpdir(), 'airbundle-zarf-disk-'));
    pkg = join(work, 'zarf-package-big-amd64-1.0.0.tar.zst');
    await writeSyntheticPackage(pkg, LAYER);
  });
  afterAll(async () => {
    await registry?.stop();
    if (work !== undefined) await rm(work, { recursive: true, force: true });
  });

  it('is zero blocks written by the pushing process (kernel accounting), for a .tar.zst and for split parts', async () => {
    // The push runs in a child process of its own: this test process also writes the registry's log file.
    const measure = async (path: string, prefix: string): Promise<{ control: number; fsWrite: number; bytes: number }> => {
      const script = [
        `const m = await import(${JSON.stringify(join(REPO, 'dist', 'zarf-compat', 'index.js'))});`,
        `const { writeFileSync, rmSync } = await import('node:fs');`,
        `let t = process.resourceUsage().fsWrite; writeFileSync(${JSON.stringify(join(work, 'control'))}, Buffer.alloc(1 << 20, 1));`,
        `const control = process.resourceUsage().fsWrite - t; rmSync(${JSON.stringify(join(work, 'control'))});`,
        `t = process.resourceUsage().fsWrite;`,
        `const r = await m.pushZarfPackage(${JSON.stringify(path)}, { registry: ${JSON.stringify(`${registry.host}/${prefix}`)}, connection: { plainHttp: true, credentials: false } });`,
        `console.log(JSON.stringify({ control, fsWrite: process.resourceUsage().fsWrite - t, bytes: r.push.bytes }));`,
      ].join('\n');
      const r = await runTool(process.execPath, ['--input-type=module', '-e', script]);
      expect(r.code, r.stderr).toBe(0);
      return JSON.parse(r.stdout) as { control: number; fsWrite: number; bytes: number };
    };
    const whole = await measure(pkg, 'a');
    expect(whole.control, 'the counter sees a 1 MiB write').toBeGreaterThanOrEqual(2048);
    expect(whole.bytes).toBeGreaterThanOrEqual(LAYER);
    expect(whole.fsWrite, `512-byte blocks written during a push of ${whole.bytes} bytes`).toBe(0);
    const parts = await splitPackage(pkg, 10_000_000);
    try {
      const split = await measure(parts[0]!, 'b');
      expect(split.bytes).toBeGreaterThanOrEqual(LAYER);
      expect(split.fsWrite).toBe(0);
    } finally {
      for (const p of parts) await rm(p);
    }
  });

  it('is zero bytes in a fresh TMPDIR and beside the package while `bundle push` runs', async () => {
    const tmp = await mkdtemp(join(tmpdir(), 'airbundle-zarf-tmpdir-'));
    try {
      const pkgDir = await treeBytes(work);
      const child = spawn(process.execPath, [join(REPO, 'bin', 'bundle.js'), 'push', pkg, '--registry', `${registry.host}/c`, '--plain-http'], {
        env: { ...process.env, CI: '1', TMPDIR: tmp, TMP: tmp, TEMP: tmp },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const exited = new Promise<number>((resolve) => child.on('close', (code) => resolve(code ?? -1)));
      let peakTmp = 0;
      let peakFiles = 0;
      let peakPkgDir = 0;
      let writeBytes = 0;
      let samples = 0;
      let running = true;
      void exited.then(() => (running = false));
      while (running) {
        const t = await treeBytes(tmp);
        peakTmp = Math.max(peakTmp, t.bytes);
        peakFiles = Math.max(peakFiles, t.files);
        peakPkgDir = Math.max(peakPkgDir, (await treeBytes(work)).bytes - pkgDir.bytes);
        const io = await readFile(`/proc/${child.pid}/io`, 'utf8').catch(() => undefined);
        const wb = io !== undefined ? Number(/write_bytes: (\d+)/.exec(io)?.[1] ?? 0) : undefined;
        if (wb !== undefined) writeBytes = Math.max(writeBytes, wb);
        samples += 1;
        await new Promise((r) => setTimeout(r, 10));
      }
      expect(await exited, stderr).toBe(0);
      expect(stdout).toMatch(/Pushed 1 images of Zarf package big/);
      expect(samples).toBeGreaterThan(10);
      expect({ peakTmp, peakFiles, peakPkgDir, writeBytes }).toEqual({ peakTmp: 0, peakFiles: 0, peakPkgDir: 0, writeBytes: 0 });
      const seen = await runTool('skopeo', ['inspect', '--tls-verify=false', `docker://${registry.host}/c/big/data:1.0`]);
      expect(seen.code, seen.stderr).toBe(0);
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  });
});
