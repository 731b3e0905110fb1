import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';

async function specFile(body: string): Promise<{ dir: string; spec: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'airbundle-spec-'));
  const spec = join(dir, 'bundle.yaml');
  await writeFile(spec, body);
  return { dir, spec };
}

const HEAD = 'apiVersion: airbundle.dev/v1\nkind: Bundle\nmetadata: {name: t, version: 0.1.0}\n';

async function build(body: string): Promise<{ code: number; stderr: string; dir: string }> {
  const { dir, spec } = await specFile(body);
  const r = await runCli(['build', spec, '--out', join(dir, 'out.tar'), '--cache', join(dir, 'cache')]);
  return { code: r.code, stderr: r.stderr, dir };
}

describe('bundle build: bad input gets a clear error, a code, a non-zero exit and no output file', () => {
  it('malformed YAML names the file, line and column', async () => {
    const r = await build(`${HEAD}models:\n  - name: x\n    source: [unclosed\n`);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/SPEC_SYNTAX/);
    expect(r.stderr).toMatch(/bundle\.yaml:\d+:\d+/);
  });

  it('an unknown field is named with its line and the nearest known field', async () => {
    const r = await build(`${HEAD}models:\n  - name: x\n    sorce: file://./x\n`);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/bundle\.yaml:6:5/);
    expect(r.stderr).toMatch(/sorce/);
    expect(r.stderr).toMatch(/did you mean "source"/);
  });

  it('a missing file source names the path', async () => {
    const r = await build(`${HEAD}models:\n  - name: x\n    source: file://./not-here\n`);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/SOURCE_NOT_FOUND/);
    expect(r.stderr).toContain(join(r.dir, 'not-here'));
  });

  it('a bad sha256 pin is refused before anything is fetched', async () => {
    const r = await build(`${HEAD}models:\n  - name: x\n    source: https://example.invalid/m.bin#sha256=abc\n`);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/sha256/);
  });

  it('an unreachable URL is named', async () => {
    const pin = 'a'.repeat(64);
    const r = await build(`${HEAD}models:\n  - name: x\n    source: http://127.0.0.1:9/m.bin#sha256=${pin}\n`);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/SOURCE_UNREACHABLE/);
    expect(r.stderr).toContain('127.0.0.1:9');
  });

  it('a missing spec file is named', async () => {
    const r = await runCli(['build', '/nonexistent/bundle.yaml', '--out', '/tmp/never.tar']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/SPEC_NOT_FOUND/);
  });
});
