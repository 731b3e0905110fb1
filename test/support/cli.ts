import { spawn } from 'node:child_process';
import { join } from 'node:path';

/** REPO is the repository root. */
export const REPO = join(import.meta.dirname, '..', '..');

/** CliResult is what a `bundle` run printed and how it exited. */
export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * runCli runs the built `bundle` command (bin/bundle.js over dist/, as a user would) in a child process.
 * `npm test` builds dist/ first.
 */
export function runCli(args: string[], env: NodeJS.ProcessEnv = {}, input?: string): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(REPO, 'bin', 'bundle.js'), ...args], {
      env: { ...process.env, CI: '1', ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(input ?? '');
  });
}

/** runTool runs any program and collects its output. */
export function runTool(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

/** RunningCli is a long-running `bundle` command (serve) with its first line of output. */
export interface RunningCli {
  firstLine: Promise<string>;
  output: () => string;
  stop: () => Promise<number | null>;
}

/** startCli starts `bundle ARGS` and resolves `firstLine` with the first line it prints on stdout. */
export function startCli(args: string[], env: NodeJS.ProcessEnv = {}): RunningCli {
  const child = spawn(process.execPath, [join(REPO, 'bin', 'bundle.js'), ...args], { env: { ...process.env, CI: '1', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const firstLine = new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      const nl = stdout.indexOf('\n');
      if (nl >= 0) resolve(stdout.slice(0, nl));
    });
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    void exited.then((code) => reject(new Error(`bundle ${args[0]} exited ${code} before printing: ${stderr}`)));
  });
  return {
    firstLine,
    output: () => stdout + stderr,
    stop: async () => {
      child.kill('SIGTERM');
      return exited;
    },
  };
}
