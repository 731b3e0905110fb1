import type { Command } from 'commander';
import { inspectBundle } from '../../inspect.js';
import { formatBytes } from '../../util/bytes.js';
import { loadTrustedKeys } from '../keys.js';
import { printJson, printLine, table } from '../output.js';

/** registerInspect adds `bundle inspect PATH`. */
export function registerInspect(program: Command): void {
  program
    .command('inspect')
    .description('show what a bundle holds, where each artifact came from, and who signed it')
    .argument('<path>', 'bundle: directory, .tar, .tar.zst, first volume or .parts.json')
    .option('-k, --key <pub>', 'check the signature with this public key; repeatable', (v: string, prev: string[]) => [...prev, v], [] as string[])
    .option('--json', 'print JSON')
    .action(async (path: string, opts: { key: string[]; json?: boolean }) => {
      const report = await inspectBundle(path, await loadTrustedKeys(opts.key));
      if (opts.json === true) {
        printJson(report);
        return;
      }
      const sig = report.signature;
      printLine(`Bundle   ${report.name} ${report.version}  (${report.form}${report.volumes !== undefined ? `, ${report.volumes.length} volumes` : ''})`);
      printLine(`Created  ${report.created} by ${report.generator}`);
      printLine(
        `Signed   ${sig.state === 'verified' ? `yes, verified with key ${sig.keyHint.slice(0, 16)}` : sig.state === 'unchecked' ? `yes, key ${sig.keyHint.slice(0, 16)} (not checked; pass --key)` : sig.state === 'unsigned' ? 'no' : `INVALID: ${sig.message}`}`,
      );
      printLine();
      printLine(
        table(
          ['KIND', 'NAME', 'REF', 'DIGEST', 'SIZE', 'SOURCE'],
          report.artifacts.map((a) => [a.kind, a.name, a.ref, a.root.digest.slice(0, 19), formatBytes(a.totalSize), a.source]),
        ),
      );
      printLine();
      printLine('Provenance');
      for (const a of report.artifacts) {
        const p = a.provenance;
        const extra = Object.entries(p.details ?? {}).map(([k, v]) => `${k}=${v}`).join(' ');
        printLine(`  ${a.name}: ${p.type} ${p.uri}${p.revision !== undefined ? ` @ ${p.revision}` : ''}${p.resolvedAt !== undefined ? `, ${p.resolvedAt}` : ''}${extra !== '' ? `  ${extra}` : ''}`);
      }
      printLine();
      printLine(`Total    ${report.totals.artifacts} artifacts, ${report.totals.blobs} blobs, ${formatBytes(report.totals.bytes)}`);
    });
}
