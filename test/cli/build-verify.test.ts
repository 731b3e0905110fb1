import { chmod, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { writeFixtureSpec, type FixtureSpec } from '../support/fixture-bundle.js';
import { useTempDirs } from '../support/temp-dir.js';

const tempDir = useTempDirs();
const ENV = { AIRBUNDLE_PASSPHRASE: 'test-pass' };

let fx: FixtureSpec;
let cache: string;
let work: string;

beforeAll(async () => {
  const { mkdtemp } = await import('node:fs/promises');
  const { tmpdir } = await import('node:os');
  work = await mkdtemp(join(tmpdir(), 'airbundle-cli-'));
  fx = await writeFixtureSpec(join(work, 'spec'));
  cache = join(work, 'cache');
});

async function buildTo(out: string, ...extra: string[]): Promise<void> {
  const r = await runCli(['build', fx.spec, '--out', out, '--cache', cache, ...extra], ENV);
  expect(r.code, r.stderr).toBe(0);
}

/** flip inverts one byte of a file in place. */
async function flip(path: string, offset: number): Promise<void> {
  await chmod(path, 0o644);
  const data = await readFile(path);
  data[offset] = (data[offset] ?? 0) ^ 0xff;
  await writeFile(path, data);
}

describe('bundle build + verify', () => {
  for (const [label, name, extra] of [
    ['directory', 'b', []],
    ['tar', 'b.tar', []],
    ['seekable tar.zst', 'b.tar.zst', []],
    ['tar.zst volumes', 'b.tar.zst', ['--volume-size', '1M']],
    ['tar volumes', 'b.tar', ['--volume-size', '1500K']],
  ] as const) {
    describe(label, () => {
      it('builds a bundle that verifies, then names the blob and chunk of a flipped byte', async () => {
        const dir = await tempDir();
        const out = join(dir, name);
        await buildTo(out, ...extra);
        const target = extra.length > 0 ? `${out}.000` : out;
        const ok = await runCli(['verify', target, '--json']);
        expect(ok.code, ok.stderr).toBe(0);
        const report = JSON.parse(ok.stdout) as { valid: boolean; chunks: number };
        expect(report.valid).toBe(true);
        expect(report.chunks).toBeGreaterThanOrEqual(6);

        // Corrupt one byte 2.5 MiB into the big weights file: chunk 2 at a 1 MiB chunk size.
        const bigHex = (await import('node:crypto')).createHash('sha256').update(fx.bigFile).digest('hex');
        let corrupted: string;
        if (label === 'directory') {
          corrupted = join(out, 'blobs', 'sha256', bigHex);
          await flip(corrupted, 2.5 * 1024 * 1024);
        } else if (name === 'b.tar' && extra.length === 0) {
          corrupted = out;
          const data = await readFile(out);
          await flip(out, data.indexOf(fx.bigFile.subarray(0, 64)) + 2.5 * 1024 * 1024);
        } else if (extra.length === 0) {
          corrupted = out;
          const size = (await readFile(out)).length;
          await flip(out, Math.floor(size / 2));
        } else {
          const volumes = (await readdir(dir)).filter((f) => /\.\d{3}$/.test(f)).sort();
          expect(volumes.length).toBeGreaterThanOrEqual(4);
          corrupted = join(dir, volumes[3]!);
          await flip(corrupted, 1000);
        }
        const bad = await runCli(['verify', target]);
        expect(bad.code, bad.stdout + bad.stderr).toBe(1);
        expect(bad.stdout).toMatch(/INVALID/);
        expect(bad.stdout).toContain('chunk ');
        expect(bad.stdout).toContain(`sha256:${bigHex}`);
        if (extra.length > 0) expect(bad.stdout).toContain(corrupted.split('/').pop());
        if (label === 'tar') expect(bad.stdout).toMatch(/chunk 2 /);
      });
    });
  }

  it('produces byte-identical bundles from the same spec', async () => {
    const dir = await tempDir();
    await buildTo(join(dir, 'a.tar.zst'));
    await buildTo(join(dir, 'b.tar.zst'));
    expect((await readFile(join(dir, 'a.tar.zst'))).equals(await readFile(join(dir, 'b.tar.zst')))).toBe(true);
    const other = await runCli(['build', fx.spec, '--out', join(dir, 'c.tar'), '--cache', join(dir, 'fresh-cache')], ENV);
    expect(other.code, other.stderr).toBe(0);
    await buildTo(join(dir, 'd.tar'));
    expect((await readFile(join(dir, 'c.tar'))).equals(await readFile(join(dir, 'd.tar')))).toBe(true);
  });

  describe('volumes', () => {
    it('names a missing volume, and detects swapped volumes', async () => {
      const dir = await tempDir();
      const out = join(dir, 'v.tar.zst');
      await buildTo(out, '--volume-size', '1M');
      await rename(`${out}.001`, join(dir, 'elsewhere'));
      const missing = await runCli(['verify', `${out}.000`]);
      expect(missing.code).toBe(2);
      expect(missing.stderr).toContain('v.tar.zst.001');
      expect(missing.stderr).toContain('VOLUME_MISSING');
      await rename(join(dir, 'elsewhere'), `${out}.001`);
      await rename(`${out}.001`, join(dir, 'swap'));
      await rename(`${out}.002`, `${out}.001`);
      await rename(join(dir, 'swap'), `${out}.002`);
      const swapped = await runCli(['inspect', `${out}.parts.json`]);
      expect(swapped.code).not.toBe(0);
      expect(swapped.stderr).toContain('VOLUME_ORDER');
      expect(swapped.stderr).toMatch(/v\.tar\.zst\.00[12]/);
    });
  });

  describe('signatures', () => {
    it('verifies with the right key, fails with another key, on tampering, and when unsigned', async () => {
      const dir = await tempDir();
      for (const k of ['k1', 'k2']) expect((await runCli(['keygen', '--out', join(dir, k)], ENV)).code).toBe(0);
      const out = join(dir, 'signed');
      await buildTo(out, '--sign', join(dir, 'k1.key'));
      const good = await runCli(['verify', out, '--key', join(dir, 'k1.pub')]);
      expect(good.code, good.stdout + good.stderr).toBe(0);
      expect(good.stdout).toContain('signature: valid');

      const other = await runCli(['verify', out, '--key', join(dir, 'k2.pub')]);
      expect(other.code).toBe(1);
      expect(other.stdout).toMatch(/SIGNATURE_INVALID/);

      const manifestPath = join(out, 'bundle.json');
      const text = await readFile(manifestPath, 'utf8');
      await writeFile(manifestPath, text.replace('"version": "1.2.3"', '"version": "1.2.4"'));
      const tampered = await runCli(['verify', out, '--key', join(dir, 'k1.pub')]);
      expect(tampered.code).toBe(1);
      expect(tampered.stdout).toMatch(/bundle\.json was changed after signing|SIGNATURE_INVALID/);
      const tamperedNoKey = await runCli(['verify', out]);
      expect(tamperedNoKey.code).toBe(1);

      const unsigned = join(dir, 'unsigned.tar');
      await buildTo(unsigned);
      const u = await runCli(['verify', unsigned, '--key', join(dir, 'k1.pub')]);
      expect(u.code).toBe(1);
      expect(u.stdout).toMatch(/unsigned/);

      const signLater = await runCli(['sign', unsigned, '--key', join(dir, 'k1.key')], ENV);
      expect(signLater.code, signLater.stderr).toBe(0);
      expect((await runCli(['verify', unsigned, '--key', join(dir, 'k1.pub')])).code).toBe(0);
      await rm(join(dir, 'k1.key'));
    });
  });
});
