/**
 * bench: airbundle against the limits of DESIGN §11, side by side in one run on this machine.
 *   npm run bench                 2 GiB of model weights (BENCH_MIB=512 npm run bench for a quick run)
 * For each job it prints wall time, MB/s and peak RSS (GNU time, whole process), and the ratio to the reference:
 *   push    bundle push (.tar)  vs  skopeo copy --preserve-digests oci:…  and  raw HTTP PUT (curl -T) of the same blobs
 *   verify  bundle verify       vs  sha256sum of the same archive
 *   build   bundle build from a local HTTP server (.tar.zst, zstd included)  vs  curl -o of the same files
 * Nothing here asserts: the numbers are for people to read.
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startHttpFileServer } from '../test/support/http-file-server.js';
import { startRegistry, type RunningRegistry } from '../test/support/registry.js';

const MIB = 1024 * 1024;
const totalMiB = Number(process.env.BENCH_MIB ?? 2048);
const repo = join(import.meta.dirname, '..');
const work = mkdtempSync(join(process.env.BENCH_DIR ?? tmpdir(), 'airbundle-bench-'));
const bin = join(repo, 'bin', 'bundle.js');

interface Run {
  seconds: number;
  rssMiB: number;
}

/** timed runs a command under GNU time and returns wall seconds and peak RSS (async: servers run in this process). */
async function timed(cmd: string, args: string[]): Promise<Run> {
  process.stderr.write(`bench: ${cmd === process.execPath ? 'bundle' : cmd} ${args.slice(cmd === process.execPath ? 1 : 0, 3).join(' ').slice(0, 100)}…\n`);
  const started = process.hrtime.bigint();
  const child = spawn('/usr/bin/time', ['-v', cmd, ...args], { env: { ...process.env, CI: '1' }, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const [status] = (await once(child, 'close')) as [number | null];
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const m = /Maximum resident set size \(kbytes\): (\d+)/.exec(stderr);
  if (status !== 0 || m === null) throw new Error(`${cmd} ${args.join(' ').slice(0, 300)} failed (${status}):\n${stderr.slice(-3000)}`);
  return { seconds, rssMiB: Number(m[1]) / 1024 };
}

async function generate(path: string, mib: number): Promise<void> {
  const out = createWriteStream(path);
  const block = randomBytes(MIB);
  for (let i = 0; i < mib; i += 1) {
    block.writeUInt32LE(i, 0);
    if (!out.write(Buffer.from(block))) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}

const rows: string[][] = [];
function row(job: string, tool: string, run: Run, bytes: number, ratioLabel = '', ratio?: number, goal?: string): void {
  rows.push([job, tool, `${run.seconds.toFixed(2)} s`, `${(bytes / MIB / run.seconds).toFixed(0)} MB/s`, `${run.rssMiB.toFixed(0)} MiB`, ratio === undefined ? '' : `${ratioLabel} ${ratio.toFixed(2)}×`, goal ?? '']);
}

function print(): void {
  const header = ['job', 'tool', 'wall', 'rate', 'peak RSS', 'ratio', 'goal'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const fmt = (r: string[]): string => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  process.stdout.write(`\n${fmt(header)}\n${rows.map(fmt).join('\n')}\n`);
}

const registries: RunningRegistry[] = [];
try {
  // Content: a model of N shards of at most 512 MiB (real checkpoints are sharded), plus the demo image.
  const modelDir = join(work, 'src', 'model');
  mkdirSync(modelDir, { recursive: true });
  const shards = Math.max(1, Math.ceil(totalMiB / 512));
  for (let i = 0; i < shards; i++) await generate(join(modelDir, `model-${String(i + 1).padStart(5, '0')}-of-${String(shards).padStart(5, '0')}.safetensors`), Math.ceil(totalMiB / shards));
  writeFileSync(join(modelDir, 'config.json'), '{"model_type":"bench"}\n');
  const bytes = readdirSync(modelDir).reduce((n, f) => n + statSync(join(modelDir, f)).size, 0);
  process.stderr.write(`bench: ${(bytes / MIB).toFixed(0)} MiB in ${shards} shards, in ${work}\n`);

  const spec = join(work, 'src', 'bundle.yaml');
  writeFileSync(spec, 'apiVersion: airbundle.dev/v1\nkind: Bundle\nmetadata: {name: bench, version: "1"}\nmodels:\n  - {name: bench, source: file://./model}\n');
  const tar = join(work, 'bench.tar');
  await timed(process.execPath, [bin, 'build', spec, '--out', tar, '--cache', join(work, 'cache')]);
  const tarBytes = statSync(tar).size;

  // verify vs sha256sum
  const verify = await timed(process.execPath, [bin, 'verify', tar]);
  const sha = await timed('sha256sum', [tar]);
  row('verify', 'sha256sum', sha, tarBytes);
  row('verify', 'bundle verify', verify, tarBytes, 'vs sha256sum', sha.seconds / verify.seconds, '≥ 1.5×');

  // push vs skopeo vs raw PUT, each into a fresh registry
  const layout = join(work, 'layout');
  await timed(process.execPath, [bin, 'export', tar, '--oci-layout', layout]);
  const regA = await startRegistry();
  const regB = await startRegistry();
  const regC = await startRegistry();
  registries.push(regA, regB, regC);
  const skopeo = await timed('skopeo', ['copy', '--preserve-digests', '--dest-tls-verify=false', `oci:${layout}:models/bench:1`, `docker://${regB.host}/models/bench:1`]);
  const push = await timed(process.execPath, [bin, 'push', tar, '--registry', regA.host, '--plain-http']);
  const blobsDir = join(layout, 'blobs', 'sha256');
  const raw = await rawPut(regC.host, blobsDir);
  row('push', 'raw HTTP PUT (curl)', raw, tarBytes);
  row('push', 'skopeo copy', skopeo, tarBytes);
  row('push', 'bundle push', push, tarBytes, 'vs skopeo', skopeo.seconds / push.seconds, '> 1×');
  rows.push(['', '', '', '', '', `vs raw PUT ${(raw.seconds / push.seconds).toFixed(2)}×`, '≥ 0.9×']);

  // build from a local HTTP server vs curl -o
  const server = await startHttpFileServer({ dir: modelDir });
  try {
    const files = readdirSync(modelDir).sort();
    const curlDir = join(work, 'curl');
    mkdirSync(curlDir);
    const curl = await timed('bash', ['-c', files.map((f) => `curl -sS -o ${JSON.stringify(join(curlDir, f))} ${server.url}/${f}`).join(' && ')]);
    const hexOf = (f: string): string => spawnSync('sha256sum', [join(modelDir, f)], { encoding: 'utf8' }).stdout.split(' ')[0]!;
    const httpSpec = join(work, 'http.yaml');
    writeFileSync(httpSpec, `apiVersion: airbundle.dev/v1\nkind: Bundle\nmetadata: {name: http, version: "1"}\nmodels:\n${files.map((f, i) => `  - {name: f${i}, source: "${server.url}/${f}#sha256=${hexOf(f)}"}`).join('\n')}\n`);
    const build = await timed(process.execPath, [bin, 'build', httpSpec, '--out', join(work, 'http.tar.zst'), '--cache', join(work, 'http-cache')]);
    row('build', 'curl -o', curl, bytes);
    row('build', 'bundle build (http, .tar.zst)', build, bytes, 'vs curl', curl.seconds / build.seconds, '≥ 0.7×');
  } finally {
    await server.close();
  }
  print();
} finally {
  await Promise.all(registries.map((r) => r.stop()));
  if (process.env.BENCH_KEEP === undefined) rmSync(work, { recursive: true, force: true });
}

/** rawPut uploads every blob of a layout with curl: POST for a session, one monolithic PUT each (the floor). */
function rawPut(host: string, blobsDir: string): Promise<Run> {
  const script = readdirSync(blobsDir)
    .map((hex) => {
      const file = join(blobsDir, hex);
      return `loc=$(curl -sS -X POST -D - -o /dev/null http://${host}/v2/raw/blobs/uploads/ | tr -d '\\r' | sed -n 's/^[Ll]ocation: //p'); case "$loc" in http*) ;; *) loc="http://${host}$loc";; esac; curl -sS -f -X PUT -H 'Content-Type: application/octet-stream' -T ${JSON.stringify(file)} -o /dev/null "$loc&digest=sha256:${hex}" || exit 1`;
    })
    .join('\n');
  return timed('bash', ['-c', script]);
}
