import { spawn } from 'node:child_process';
import { randomBytes, createHash } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { REPO, runCli } from '../support/cli.js';
import { startHttpFileServer, type HttpFileServer } from '../support/http-file-server.js';
import { useTempDirs } from '../support/temp-dir.js';

const tempDir = useTempDirs();
let server: HttpFileServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('bundle build from an HTTP source', () => {
  it('killed mid-download, a rerun fetches only the missing range and completes', async () => {
    const dir = await tempDir();
    const weights = randomBytes(24 * 1024 * 1024);
    const hex = createHash('sha256').update(weights).digest('hex');
    server = await startHttpFileServer({ files: { '/org/model.safetensors': weights }, throttleBytesPerSecond: 8 * 1024 * 1024 });
    const spec = join(dir, 'bundle.yaml');
    await writeFile(
      spec,
      `apiVersion: airbundle.dev/v1\nkind: Bundle\nmetadata: {name: web, version: 1.0.0}\nmodels:\n  - name: weights\n    source: ${server.url}/org/model.safetensors#sha256=${hex}\n`,
    );
    const args = [join(REPO, 'bin', 'bundle.js'), 'build', spec, '--out', join(dir, 'b.tar'), '--cache', join(dir, 'cache')];

    // First run: SIGKILL once about a third of the file has been sent (no chance to clean up).
    const child = spawn(process.execPath, args, { stdio: 'ignore', env: { ...process.env, CI: '1' } });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    while ((server.requests[0]?.bytesSent ?? 0) < 8 * 1024 * 1024) await new Promise((r) => setTimeout(r, 50));
    child.kill('SIGKILL');
    await exited;
    await new Promise((r) => setTimeout(r, 200));
    const sentBeforeKill = server.requests.reduce((n, r) => n + r.bytesSent, 0);
    expect(sentBeforeKill).toBeLessThan(weights.length);

    const again = await runCli(['build', spec, '--out', join(dir, 'b.tar'), '--cache', join(dir, 'cache')]);
    expect(again.code, again.stderr).toBe(0);
    const resumed = server.requests.filter((r) => r.method === 'GET').at(-1)!;
    expect(resumed.range).toMatch(/^bytes=\d+-$/);
    const from = Number(/bytes=(\d+)-/.exec(resumed.range!)![1]);
    expect(from).toBeGreaterThan(0);
    expect(resumed.status).toBe(206);
    expect(resumed.bytesSent).toBe(weights.length - from);

    const verify = await runCli(['verify', join(dir, 'b.tar')]);
    expect(verify.code, verify.stdout + verify.stderr).toBe(0);

    // A third build downloads nothing.
    const count = server.requests.length;
    const third = await runCli(['build', spec, '--out', join(dir, 'c.tar'), '--cache', join(dir, 'cache')]);
    expect(third.code, third.stderr).toBe(0);
    expect(server.requests.length).toBe(count);
  });
});
