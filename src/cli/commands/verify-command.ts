import type { Command } from 'commander';
import { formatBytes } from '../../util/bytes.js';
import { verifyBundle } from '../../verify.js';
import { ExitError } from '../exit-error.js';
import { loadTrustedKeys } from '../keys.js';
import { printJson, printLine } from '../output.js';
import { outputMode, runWithProgress } from '../reporter.js';

/** registerVerify adds `bundle verify PATH [--key PUB]…`: exit 0 valid, 1 invalid, 2 bad usage or unreadable. */
export function registerVerify(program: Command): void {
  program
    .command('verify')
    .description('check the signature and every chunk of every blob of a bundle, offline')
    .argument('<path>', 'bundle: directory, .tar, .tar.zst, first volume or .parts.json')
    .option('-k, --key <pub>', 'trusted public key (PEM); repeatable', (v: string, prev: string[]) => [...prev, v], [] as string[])
    .option('--json', 'print the report as JSON, no progress')
    .action(async (path: string, opts: { key: string[]; json?: boolean }) => {
      const keys = await loadTrustedKeys(opts.key);
      const mode = outputMode(opts.json === true);
      const report = await runWithProgress(mode, `Verify ${path}`, (onEvent) => verifyBundle(path, { keys, onEvent }));
      if (mode === 'json') printJson(report);
      else {
        const sig = report.signature;
        printLine(
          sig.state === 'verified' ? `signature: valid, key ${sig.keyHint.slice(0, 16)}`
          : sig.state === 'unchecked' ? `signature: present (key ${sig.keyHint.slice(0, 16)}), not checked: give --key PUB to check it`
          : sig.state === 'unsigned' ? 'signature: none (unsigned bundle)'
          : `signature: INVALID: ${sig.message}`,
        );
        printLine(`content: ${report.blobs} blobs, ${report.chunks} chunks, ${formatBytes(report.bytes)} checked`);
        for (const p of report.problems) printLine(`  ${p.code}: ${p.message}`);
        printLine(report.valid ? `${path}: valid` : `${path}: INVALID (${report.problems.length} problem${report.problems.length === 1 ? '' : 's'})`);
      }
      if (!report.valid) throw new ExitError(1);
    });
}
