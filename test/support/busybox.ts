import { spawn, spawnSync } from 'node:child_process';
import { access, constants, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';

/** BusyboxShell runs scripts with Debian's busybox and nothing else on PATH, as a busybox pod would. */
export interface BusyboxShell {
  /** Directory of applet symlinks that is the whole PATH. */
  bin: string;
  run(args: string[], options?: { stdin?: Readable; env?: NodeJS.ProcessEnv }): Promise<{ code: number; stdout: string; stderr: string }>;
}

/**
 * busyboxShell finds busybox (`/bin/busybox`, or on PATH; `apt-get install busybox`) and installs its applet
 * symlinks into a temp directory, so `tar`, `wget`, `sha256sum`, `mv`… in a script are busybox's own applets
 * and not the host's GNU tools.
 */
export async function busyboxShell(): Promise<BusyboxShell> {
  let binary = '/bin/busybox';
  try {
    await access(binary, constants.X_OK);
  } catch {
    const which = spawnSync('sh', ['-c', 'command -v busybox'], { encoding: 'utf8' });
    if (which.status !== 0) throw new Error('busybox is missing: apt-get install busybox (scripts/test.sh does it)');
    binary = which.stdout.trim();
  }
  const bin = await mkdtemp(join(tmpdir(), 'airbundle-busybox-'));
  const install = spawnSync(binary, ['--install', '-s', bin], { encoding: 'utf8' });
  if (install.status !== 0) throw new Error(`busybox --install failed: ${install.stderr}`);
  return {
    bin,
    run: (args, options = {}) =>
      new Promise((resolve, reject) => {
        const child = spawn(join(bin, 'sh'), args, { env: { PATH: bin, ...options.env }, stdio: ['pipe', 'pipe', 'pipe'] });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
        child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
        child.on('error', reject);
        child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
        child.stdin.on('error', () => undefined); // the script may exit before reading everything
        if (options.stdin === undefined) child.stdin.end();
        else {
          options.stdin.on('error', (err) => child.stdin.destroy(err));
          options.stdin.pipe(child.stdin);
        }
      }),
  };
}
