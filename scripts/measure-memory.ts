/**
 * measure-memory: peak RSS of `bundle build` and `bundle verify` on a large generated model (default 2 GiB),
 * measured by the kernel through GNU time's "Maximum resident set size" of the whole CLI process.
 * Run: npx tsx scripts/measure-memory.ts [SIZE_MIB] [FORM: tar|tar.zst|dir]
 */
import { spawnSync } from 'node:child_process';
import { createWriteStream, mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';

const sizeMiB = Number(process.argv[2] ?? 2048);
const form = process.argv[3] ?? 'tar.zst';
const repo = join(import.meta.dirname, '..');
const work = mkdtempSync(join(tmpdir(), 'airbundle-mem-'));

async function generate(path: string, mib: number): Promise<void> {
  const out = createWriteStream(path);
  const block = randomBytes(1024 * 1024);
  for (let i = 0; i < mib; i += 1) {
    block.writeUInt32LE(i, 0);
    if (!out.write(Buffer.from(block))) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}

function timed(label: string, args: string[]): { seconds: number; maxRssMiB: number } {
  const started = Date.now();
  const r = spawnSync('/usr/bin/time', ['-v', process.execPath, join(repo, 'bin', 'bundle.js'), ...args], { encoding: 'utf8', env: { ...process.env, CI: '1' } });
  const seconds = (Date.now() - started) / 1000;
  const m = /Maximum resident set size \(kbytes\): (\d+)/.exec(r.stderr);
  if (r.status !== 0 || m === null) {
    process.stderr.write(r.stderr);
    throw new Error(`${label} failed (exit ${r.status})`);
  }
  return { seconds, maxRssMiB: Number(m[1]) / 1024 };
}

mkdirSync(join(work, 'model'));
await generate(join(work, 'model', 'model.safetensors'), sizeMiB);
writeFileSync(join(work, 'bundle.yaml'), 'apiVersion: airbundle.dev/v1\nkind: Bundle\nmetadata: {name: mem, version: "1"}\nmodels:\n  - name: big\n    source: file://./model\n');
const out = join(work, form === 'dir' ? 'out' : `out.${form}`);
const rows = [
  ['build (cold cache)', timed('build', ['build', join(work, 'bundle.yaml'), '--out', out, '--cache', join(work, 'cache')])],
  ['build (warm cache)', timed('build', ['build', join(work, 'bundle.yaml'), '--out', out, '--cache', join(work, 'cache')])],
  ['verify', timed('verify', ['verify', out])],
] as const;
process.stdout.write(`model ${sizeMiB} MiB, form ${form}\n`);
for (const [label, r] of rows) {
  process.stdout.write(`${label.padEnd(20)} ${r.seconds.toFixed(1).padStart(6)} s  ${(sizeMiB / r.seconds).toFixed(0).padStart(5)} MiB/s  peak RSS ${r.maxRssMiB.toFixed(0)} MiB\n`);
}
rmSync(work, { recursive: true, force: true });
