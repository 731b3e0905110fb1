import type { Command } from 'commander';
import { build } from '../../build.js';
import { parseSize } from '../../schema/sizes.js';
import { formatBytes } from '../../util/bytes.js';
import { signerFromKeyFile } from '../keys.js';
import { outputMode, runWithProgress } from '../reporter.js';
import { addRegistryFlags, registryOptionsFrom, type RegistryFlags } from '../registry-options.js';
import { printJson, printLine } from '../output.js';

/** registerBuild adds `bundle build SPEC --out PATH`. */
export function registerBuild(program: Command): void {
  const cmd = program
    .command('build')
    .description('resolve, download (resumably, into the cache) and pack a bundle from a bundle.yaml spec')
    .argument('<spec>', 'path of bundle.yaml')
    .requiredOption('-o, --out <path>', 'output: NAME.tar, NAME.tar.zst (seekable zstd), or a directory')
    .option('--cache <dir>', 'content cache directory (default ~/.cache/airbundle)')
    .option('--volume-size <size>', 'cut the archive into volumes of this size (e.g. 4G, 700M)')
    .option('--sign <key>', 'sign bundle.json with this private key (PREFIX.key from bundle keygen, or a cosign key)')
    .option('--json', 'print the result as JSON, no progress');
  addRegistryFlags(cmd).action(async (spec: string, opts: RegistryFlags & { out: string; cache?: string; volumeSize?: string; sign?: string; json?: boolean }) => {
      const registry = await registryOptionsFrom(opts);
      const sign = opts.sign === undefined ? undefined : await signerFromKeyFile(opts.sign);
      const volumeSize = opts.volumeSize === undefined ? undefined : parseSize(opts.volumeSize);
      const mode = outputMode(opts.json === true);
      const result = await runWithProgress(mode, `Build ${opts.out}`, (onEvent) =>
        build({ specPath: spec, out: opts.out, cacheDir: opts.cache, volumeSize, sign, registry, onEvent }),
      );
      if (mode === 'json') {
        printJson({ out: result.out, form: result.form, files: result.files, bytes: result.bytes, signed: result.signed, artifacts: result.manifest.artifacts.map((a) => ({ kind: a.kind, name: a.name, ref: a.ref, digest: a.root.digest })) });
        return;
      }
      for (const a of result.manifest.artifacts) printLine(`  ${a.kind.padEnd(6)} ${a.ref.padEnd(32)} ${a.root.digest}`);
      printLine(`Wrote ${result.files.join(', ')} (${formatBytes(result.bytes)}, ${result.manifest.blobs.length} blobs${result.signed ? ', signed' : ', unsigned'})`);
    });
}
