/**
 * `bundle build` of a model from the Hugging Face Hub emulator, with HF_ENDPOINT pointing at the proxy; each case
 * with its own spec, output directory and cache. The files are stored without LFS: LFS files redirect to the CDN,
 * another origin the proxy does not stand in front of, while plain files are served by the Hub's /resolve/ URL
 * itself. The big body is the GET of the weights file. Success means `bundle verify` passes and every model layer
 * has the Hub's sha256; a failure must leave nothing at --out (not even a temp file). Either way, every blob in
 * the cache must hash to its name (partial downloads, which the next run resumes, live apart under partial/).
 */
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BundleReader } from '../../src/bundle/reader.js';
import type { Descriptor } from '../../src/content/descriptor.js';
import { fetchJson } from '../../src/content/fetch-bytes.js';
import { runCli } from '../support/cli.js';
import type { RequestInfo } from '../support/fault-proxy.js';
import { startHfEmulator } from '../support/hf-emulator.js';
import { pseudoRandom } from '../support/pseudo-random.js';
import type { CaseRun, FaultTarget } from './fault-target.js';

/** WEIGHTS is the file the faults strike. */
export const WEIGHTS = 'model-00001-of-00002.safetensors';

const SPEC = 'apiVersion: airbundle.dev/v1\nkind: Bundle\nmetadata: {name: hf, version: 1.0.0}\noptions: {chunkSize: 1M}\nmodels:\n  - name: tiny\n    source: hf://org/tiny\n';

const sha256 = (b: Buffer): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

/** startHfBuildTarget starts the Hub emulator with one small model repository. */
export async function startHfBuildTarget(work: string, bigSize: number): Promise<FaultTarget> {
  const hub = await startHfEmulator({ pageSize: 2 });
  const commit = hub.addCommit('org/tiny', {
    files: {
      'config.json': Buffer.from('{"model_type":"llama"}'),
      'tokenizer.json': Buffer.from('{"model":{"type":"BPE"}}'),
      [WEIGHTS]: pseudoRandom(bigSize, 7),
      'model-00002-of-00002.safetensors': pseudoRandom(200 * 1024 + 3, 8),
      'README.md': Buffer.from('# tiny\n'),
    },
    lfs: () => false,
  });

  return {
    upstream: new URL(hub.url).host,
    direction: 'response',
    bigBody: (q: RequestInfo) => q.method === 'GET' && q.url.endsWith(`/resolve/${commit.sha}/${WEIGHTS}`),
    run: async (proxy, name, flags = []): Promise<CaseRun> => {
      const dir = join(work, `hf-${name}`);
      const outDir = join(dir, 'out');
      await mkdir(outDir, { recursive: true });
      const spec = join(dir, 'bundle.yaml');
      await writeFile(spec, SPEC);
      const out = join(outDir, 'b.tar');
      const cache = join(dir, 'cache');
      const result = await runCli(['build', spec, '--out', out, '--cache', cache, '--json', ...flags], { HF_ENDPOINT: `http://${proxy.host}`, HF_TOKEN: '' });

      return {
        result,
        subjects: [WEIGHTS],
        successProblems: async () => {
          const verify = await runCli(['verify', out]);
          const problems = verify.code === 0 ? [] : [`bundle verify: ${verify.stdout}${verify.stderr}`];
          const layers = await modelLayers(out);
          for (const f of commit.files) {
            if (layers.get(f.path) !== `sha256:${f.sha256}`) problems.push(`${f.path} is ${layers.get(f.path) ?? 'missing'} in the bundle, sha256:${f.sha256} on the Hub`);
          }
          if (layers.size !== commit.files.length) problems.push(`the bundle has ${layers.size} model files, the Hub ${commit.files.length}`);
          return [...problems, ...(await unverifiedBlobs(cache))];
        },
        leftoverProblems: async () => {
          const left = await readdir(outDir);
          return [...(left.length > 0 ? [`--out directory holds ${left.join(', ')} after a failed build`] : []), ...(await unverifiedBlobs(cache))];
        },
      };
    },
    stop: () => hub.close(),
  };
}

/** modelLayers reads a built bundle's model layers: file path → digest. */
async function modelLayers(out: string): Promise<Map<string, string>> {
  const reader = await BundleReader.open(out);
  try {
    const artifact = reader.manifest.artifacts.find((a) => a.name === 'tiny');
    if (artifact === undefined) return new Map();
    const manifest = (await fetchJson(reader, artifact.root as Descriptor)) as { layers: Array<Descriptor & { annotations?: Record<string, string> }> };
    return new Map(manifest.layers.map((l) => [l.annotations?.['org.cncf.model.filepath'] ?? '', l.digest]));
  } finally {
    await reader.close();
  }
}

/** unverifiedBlobs lists the cache blobs whose bytes do not hash to their name. */
async function unverifiedBlobs(cache: string): Promise<string[]> {
  const dir = join(cache, 'blobs', 'sha256');
  const bad: string[] = [];
  for (const name of await readdir(dir).catch((): string[] => [])) {
    const got = sha256(await readFile(join(dir, name)));
    if (got !== `sha256:${name}`) bad.push(`cache blob ${name} holds ${got}`);
  }
  return bad;
}
