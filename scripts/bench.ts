/**
 * bench: airbundle against the goals of DESIGN §11, each job side by side with the tool it replaces, in one run on
 * this machine.
 *   npm run bench                      1 GiB of model weights (4 shards)
 *   npm run bench -- --size 10G        or 512M, 1G, …; BENCH_MIB=512 works too
 *   npm run bench -- --level 3         the build job at another zstd level (default: the product's, DEFAULT_ZSTD_LEVEL)
 * Jobs, and what each is compared with:
 *   build        bundle build from a local HTTP server, to .tar.zst (zstd included)  vs  curl -o of the same files
 *                (the goal's reference), and vs  curl -o, sha256sum -c, tar | zstd -T0, sync (the same job with
 *                standard tools: pins checked, compressed on every core as ours, durable as ours)
 *   verify       bundle verify of the .tar                                          vs  sha256sum of the same file
 *   push         bundle push of the .tar                 vs  skopeo copy --preserve-digests oci:… of the same content,
 *                                                        and vs  a raw HTTP PUT (curl -T) of every blob
 *   serve        skopeo copy docker://… oci:… from `bundle serve` of the .tar  vs  the same skopeo copy from the
 *                registry bundle push filled (distribution 2.8): same client, same bytes, only the server differs
 *   materialize  bundle materialize --layout plain (verified, fsynced files)  vs  tar -x of the .tar (the same
 *                bytes written, unverified, not fsynced: what an operator without airbundle does), and vs tar -x
 *                followed by `sync FILE…` of every file (durable, as materialize is)
 * For each: wall seconds, MiB/s, peak RSS and bytes written to storage (GNU time: see scripts/bench/measure.ts).
 * Prints a table and the goals met or not, and writes bench/results/bench-<size>-<date>.json.
 * Every file goes under BENCH_DIR (default: the system temp directory; it must not be tmpfs), TMPDIR included,
 * and is deleted as soon as the jobs that need it are done. Peak disk: about 4× the size. BENCH_KEEP=1 keeps it.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_ZSTD_LEVEL } from '../src/archive/seekable-zstd-format.js';
import { startHttpFileServer } from '../test/support/http-file-server.js';
import { startRegistry, type RunningRegistry } from '../test/support/registry.js';
import { hexOf, rawPutScript, totalSize, warm, writeShards } from './bench/content.js';
import { describeMachine, diskOf } from './bench/machine.js';
import { background, inSequence, timed, type Background, type Run } from './bench/measure.js';
import { formatBytes, goalLines, Results, speedRatio, table, writeRecord, type Record, type Row } from './bench/report.js';
import { parseBenchSize } from './bench/size.js';

const SHARDS = 4;
const MAX_RSS = 200e6;
const repo = join(import.meta.dirname, '..');
const bin = join(repo, 'bin', 'bundle.js');
const node = process.execPath;
const { values } = parseArgs({ options: { size: { type: 'string' }, level: { type: 'string' } } });
const size = parseBenchSize(values.size, process.env.BENCH_MIB);
/** zstd level of the build job: the product's default unless `--level N`. */
const level = Number(values.level ?? DEFAULT_ZSTD_LEVEL);
if (!Number.isInteger(level) || level < 1 || level > 19) throw new Error(`--level ${values.level}: a zstd level from 1 to 19`);

const base = process.env.BENCH_DIR ?? tmpdir();
const disk = diskOf(base);
if (disk.filesystem === 'tmpfs') throw new Error(`${base} is on tmpfs (memory): set BENCH_DIR to a directory on disk`);
if (disk.availableBytes < 4.5 * size.bytes) {
  throw new Error(`${base} has ${formatBytes(disk.availableBytes)} free; a ${size.label} bench needs about ${formatBytes(4.5 * size.bytes)}: set BENCH_DIR`);
}
const newest = (dir: string): number =>
  Math.max(...readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => statSync(join(e.parentPath, e.name)).mtimeMs));
if (newest(join(repo, 'src')) > statSync(join(repo, 'dist', 'src', 'cli', 'main.js')).mtimeMs) {
  process.stderr.write('bench: warning: src/ is newer than dist/, which the bench runs: npm run build first\n');
}
const work = mkdtempSync(join(base, 'airbundle-bench-'));
// Registries, skopeo and the CLI put their temp files under TMPDIR: on the same disk, and removed with the rest.
process.env.TMPDIR = join(work, 'tmp');
mkdirSync(process.env.TMPDIR);
const machine = describeMachine(work);
const results = new Results();
const registries = new Set<RunningRegistry>();
const registry = async (): Promise<RunningRegistry> => {
  const r = await startRegistry();
  registries.add(r);
  return r;
};
const stop = async (r: RunningRegistry): Promise<void> => {
  registries.delete(r);
  await r.stop();
};
let serving: Background | undefined;
/** commitOf names the checked-out commit, `-dirty` with local changes (read only: no index refresh, no lock). */
const commitOf = (dir: string): string => {
  const git = (...args: string[]): string => spawnSync('git', ['--no-optional-locks', '-C', dir, ...args], { encoding: 'utf8' }).stdout.trim();
  return `${git('rev-parse', '--short', 'HEAD')}${git('status', '--porcelain', '--untracked-files=no') === '' ? '' : '-dirty'}`;
};
const rm = (...paths: string[]): void => paths.forEach((p) => rmSync(p, { recursive: true, force: true }));
const spec = (name: string, models: string[], options?: string): string =>
  `apiVersion: airbundle.dev/v1\nkind: Bundle\nmetadata: {name: ${name}, version: "1"}\n${options === undefined ? '' : `options: ${options}\n`}models:\n${models.map((m) => `  - ${m}\n`).join('')}`;

try {
  process.stderr.write(`bench: ${size.label} in ${SHARDS} shards under ${work} (${machine.disk.filesystem} on ${machine.disk.device})\n`);
  const modelDir = join(work, 'model');
  mkdirSync(modelDir);
  const shards = writeShards(modelDir, size.bytes, SHARDS);
  writeFileSync(join(modelDir, 'config.json'), '{"model_type":"bench"}\n');
  const modelBytes = totalSize(modelDir);

  // Load every module of the CLI once, unmeasured: reading a file for the first time since it was written updates
  // its atime, and the kernel charges the dirtied inode block (4 KiB) to the reader as a write.
  await timed(node, [bin, '--help']);

  // The bundle the verify, push, serve and materialize jobs read: the model from the local files, as a .tar.
  const tar = join(work, 'bench.tar');
  writeFileSync(join(work, 'file.yaml'), spec('bench', ['{name: bench, source: file://./model}']));
  await timed(node, [bin, 'build', join(work, 'file.yaml'), '--out', tar, '--cache', join(work, 'file-cache')]);
  rm(join(work, 'file-cache'));
  const tarBytes = statSync(tar).size;

  // build: from a local HTTP server, vs curl -o of the same files.
  const server = await startHttpFileServer({ dir: modelDir });
  let built: Row;
  try {
    const files = [...shards, 'config.json'];
    const curlDir = join(work, 'curl');
    mkdirSync(curlDir);
    const curl = await timed('bash', ['-c', files.map((f) => `curl -sS -f -o ${JSON.stringify(join(curlDir, f))} ${server.url}/${f}`).join(' && ')]);
    // The same job with standard tools: the downloads checked against their pins, put in a .tar.zst compressed on
    // every core as ours, and made durable (build fsyncs the cached files and the bundle).
    const curlZst = join(work, 'curl.tar.zst');
    const sums = join(work, 'sums.txt');
    writeFileSync(sums, files.map((f) => `${hexOf(join(modelDir, f))}  ${join(curlDir, f)}\n`).join(''));
    const q = JSON.stringify;
    const zstd = await timed('bash', [
      '-c',
      `set -o pipefail; sha256sum --quiet -c ${q(sums)} && tar -cf - -C ${q(curlDir)} . | zstd -q -${level} -T0 -o ${q(curlZst)} && sync ${files.map((f) => q(join(curlDir, f))).join(' ')} ${q(curlZst)}`,
    ]);
    const curlZstBytes = statSync(curlZst).size;
    rm(curlDir, curlZst);
    const models = files.map((f, i) => `{name: f${i}, source: "${server.url}/${f}#sha256=${hexOf(join(modelDir, f))}"}`);
    writeFileSync(join(work, 'http.yaml'), spec('http', models, `{compression: {level: ${level}}}`));
    const zst = join(work, 'http.tar.zst');
    const build = await timed(node, [bin, 'build', join(work, 'http.yaml'), '--out', zst, '--cache', join(work, 'http-cache')]);
    const zstBytes = statSync(zst).size;
    rm(zst, join(work, 'http-cache'));
    results.add('build', 'curl -o', false, modelBytes, curl);
    Object.assign(results.add('build', `curl -o, sha256sum -c, tar → zstd -${level}, sync`, false, modelBytes, inSequence(curl, zstd)), { short: 'std tools', outputBytes: curlZstBytes });
    built = Object.assign(results.add('build', 'bundle build (http → .tar.zst)', true, modelBytes, build), { outputBytes: zstBytes });
    process.stderr.write(`bench: .tar.zst ${(zstBytes / modelBytes).toFixed(3)} of the model (tar | zstd -${level}: ${(curlZstBytes / modelBytes).toFixed(3)})\n`);
    const r = speedRatio(build, curl);
    results.judge('build from a local HTTP source', '≥ 0.7× curl -o of the same files, zstd included', `${r.toFixed(3)}×`, r >= 0.7);
  } finally {
    await server.close();
  }
  rm(modelDir);

  // verify: the .tar vs sha256sum of it.
  warm(tar);
  const sha = await timed('sha256sum', [tar]);
  const verify = await timed(node, [bin, 'verify', tar]);
  results.add('verify', 'sha256sum', false, tarBytes, sha);
  const verified = results.add('verify', 'bundle verify (.tar)', true, tarBytes, verify);
  const rv = speedRatio(verify, sha);
  results.judge('verify', '≥ 1.5× sha256sum of the same bytes', `${rv.toFixed(3)}×`, rv >= 1.5);

  // push: into a fresh registry each, vs skopeo from an OCI layout of the same content and vs raw PUTs of its blobs.
  const regA = await registry();
  const push = await timed(node, [bin, 'push', tar, '--registry', regA.host, '--plain-http']);
  const layout = join(work, 'layout');
  await timed(node, [bin, 'export', tar, '--oci-layout', layout]);
  const blobsDir = join(layout, 'blobs', 'sha256');
  const layoutBytes = totalSize(blobsDir);
  const ref = 'models/bench:1';
  const regB = await registry();
  const skopeoPush = await timed('skopeo', ['copy', '-q', '--preserve-digests', '--dest-tls-verify=false', `oci:${layout}:${ref}`, `docker://${regB.host}/${ref}`]);
  await stop(regB);
  const regC = await registry();
  const raw = await timed('bash', ['-c', rawPutScript(regC.host, blobsDir, readdirSync(blobsDir).sort())]);
  await stop(regC);
  rm(layout);
  results.add('push', 'skopeo copy oci: → docker://', false, layoutBytes, skopeoPush);
  results.add('push', 'raw HTTP PUT (curl -T)', false, layoutBytes, raw);
  const pushed = results.add('push', 'bundle push (.tar)', true, layoutBytes, push);
  const rs = speedRatio(push, skopeoPush);
  const rr = speedRatio(push, raw);
  results.judge('deploy: bundle → registry on loopback', 'faster than skopeo copy --preserve-digests oci:', `${rs.toFixed(3)}×`, rs > 1);
  results.judge('deploy: bundle → registry on loopback', '≥ 0.9× a raw HTTP PUT of the same bytes', `${rr.toFixed(3)}×`, rr >= 0.9);
  results.judge('deploy: extra disk', '0 bytes written by bundle push', formatBytes(push.writtenBytes), push.writtenBytes === 0);

  // serve: skopeo pulls the model from `bundle serve`, and from the registry push filled.
  const pullFrom = async (image: string): Promise<Run> => {
    const into = join(work, 'pulled');
    const run = await timed('skopeo', ['copy', '-q', '--preserve-digests', '--src-tls-verify=false', `docker://${image}`, `oci:${into}:pulled`]);
    rm(into);
    return run;
  };
  const fromRegistry = await pullFrom(`${regA.host}/${ref}`);
  await stop(regA);
  serving = background(node, [bin, 'serve', tar, '--listen', '127.0.0.1:0', '--json']);
  const { address } = JSON.parse(await serving.firstLine) as { address: string };
  const fromServe = await pullFrom(`${address}/${ref}`);
  const serve = await serving.stop();
  serving = undefined;
  // Wall time: the pull. Memory and disk: the server's (bundle serve's whole life; not measured for the registry).
  results.add('serve', 'skopeo pull ← registry (distribution)', false, layoutBytes, fromRegistry, false);
  results.add('serve', 'skopeo pull ← bundle serve (.tar)', true, layoutBytes, { ...fromServe, peakRssBytes: serve.peakRssBytes, writtenBytes: serve.writtenBytes });
  results.judge('serve: extra disk (DESIGN §2.2, read in place)', '0 bytes written by bundle serve', formatBytes(serve.writtenBytes), serve.writtenBytes === 0);

  // materialize: the model as plain files, vs tar -x of the bundle.
  const untar = join(work, 'untar');
  mkdirSync(untar);
  const tarX = await timed('tar', ['-xf', tar, '-C', untar]);
  rm(untar);
  mkdirSync(untar);
  // materialize fsyncs every file before its rename: the same, with coreutils sync FILE… (fsync of each file).
  const tarSync = await timed('bash', ['-c', `tar -xf ${JSON.stringify(tar)} -C ${JSON.stringify(untar)} && find ${JSON.stringify(untar)} -type f -exec sync {} +`]);
  rm(untar);
  const materialize = await timed(node, [bin, 'materialize', tar, '--model', 'bench', '--layout', 'plain', '--to', join(work, 'materialized')]);
  rm(join(work, 'materialized'));
  results.add('materialize', 'tar -x', false, modelBytes, tarX);
  Object.assign(results.add('materialize', 'tar -x, then sync each file', false, modelBytes, tarSync), { short: 'tar+sync' });
  results.add('materialize', 'bundle materialize --layout plain', true, modelBytes, materialize);

  for (const [job, row] of [['build', built], ['verify', verified], ['deploy (push)', pushed]] as const) {
    results.judge(`${job}: peak memory`, '≤ 200 MB RSS', `${(row.peakRssBytes! / 1e6).toFixed(0)} MB`, row.peakRssBytes! <= MAX_RSS);
  }
  results.judge('peak memory flat from 1 GB to 100 GB', 'same RSS at every size', 'compare the JSON of runs at other sizes', undefined);
  results.judge('resume after SIGKILL', 're-sends ≤ one chunk', 'not measured here: see test/resume', undefined);

  machine.load.end = loadavg()[0]!;
  const record: Record = {
    bench: 'airbundle',
    version: (JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as { version: string }).version,
    commit: commitOf(repo),
    date: new Date().toISOString(),
    size: { label: size.label, bytes: modelBytes, shards: SHARDS },
    zstdLevel: level,
    data: 'bf16-like weights (random mantissa bytes, exponent bytes in a narrow range; see scripts/bench/content.ts)',
    references: {
      build: `curl -o of the same files from the same local HTTP server, one after the other (the goal's reference); and the same followed by sha256sum -c of the pins, tar -c | zstd -${level} -T0 and sync of the files and the archive (the whole job done with standard tools, as durable as bundle build)`,
      verify: 'sha256sum of the same .tar',
      push: 'skopeo copy --preserve-digests from an OCI layout of the same content (bundle export), and curl -T of every blob (POST + monolithic PUT), each into a fresh registry',
      serve: 'skopeo copy docker://… oci:… of the same image from the distribution registry bundle push filled; server-side numbers are not measured for it',
      materialize: 'tar -xf of the same .tar (all its bytes written, none verified, nothing fsynced); and the same followed by sync FILE… of every extracted file (durable, as materialize is)',
    },
    machine,
    rows: results.rows,
    goals: results.goals,
  };
  const path = writeRecord(join(repo, 'bench', 'results'), record);
  process.stdout.write(
    `\nairbundle ${record.version} (${record.commit}), ${size.label} model in ${SHARDS} shards, ${record.data}\n` +
      `machine: ${machine.cpus} × ${machine.cpuModel}, ${formatBytes(machine.totalMemoryBytes)} RAM, ${machine.disk.filesystem} on ${machine.disk.device}, ` +
      `node ${machine.node}, ${machine.tools.skopeo}, ${machine.tools.curl.split(' ').slice(0, 2).join(' ')}, load ${machine.load.start.toFixed(1)} → ${machine.load.end.toFixed(1)}\n\n` +
      `${table(results)}\n\n${goalLines(results)}\n\nwritten: ${path}\n`,
  );
} finally {
  await serving?.stop().catch(() => undefined);
  await Promise.all([...registries].map((r) => r.stop().catch(() => undefined)));
  if (process.env.BENCH_KEEP === undefined) rm(work);
}
