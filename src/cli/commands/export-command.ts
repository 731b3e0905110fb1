import type { Command } from 'commander';
import { exportBundle } from '../../export.js';
import { printJson, printLine } from '../output.js';
import { outputMode, runWithProgress } from '../reporter.js';

/** registerExport adds `bundle export PATH --oci-layout DIR`. */
export function registerExport(program: Command): void {
  program
    .command('export')
    .description('write the bundle\'s artifacts as a standard OCI image layout (readable by skopeo, oras, crane)')
    .argument('<path>', 'bundle: directory, .tar, .tar.zst, first volume or .parts.json')
    .requiredOption('--oci-layout <dir>', 'destination OCI layout directory (created; existing blobs are kept)')
    .option('--json', 'print the exported references as JSON')
    .action(async (path: string, opts: { ociLayout: string; json?: boolean }) => {
      const mode = outputMode(opts.json === true);
      const refs = await runWithProgress(mode, `Export ${path}`, (onEvent) => exportBundle(path, opts.ociLayout, { onEvent }));
      if (mode === 'json') printJson(refs);
      else for (const r of refs) printLine(`  oci:${opts.ociLayout}:${r.ref}  ${r.digest}`);
    });
}
