import type { Command } from 'commander';
import { ensureHarborProjects } from '../../targets/registry/harbor-projects.js';
import { pushBundle } from '../../targets/registry/push-bundle.js';
import { formatBytes } from '../../util/bytes.js';
import { printJson, printLine, table } from '../output.js';
import { foreignPackageHandler } from '../package-handlers.js';
import { addRegistryFlags, registryOptionsFrom, type RegistryFlags } from '../registry-options.js';
import { outputMode, runWithProgress } from '../reporter.js';

/** PushFlags are the parsed flags of `bundle push`. */
export interface PushFlags extends RegistryFlags {
  registry: string;
  concurrency: string;
  json?: boolean;
}

/** registerPush adds `bundle push BUNDLE --registry HOST[:PORT][/PREFIX]`. */
export function registerPush(program: Command): void {
  const cmd = program
    .command('push')
    .description('stream every artifact of a bundle into a registry (Zot, Harbor, distribution), digests unchanged')
    .argument('<path>', 'bundle: directory, .tar, .tar.zst, first volume or .parts.json; or a Zarf package (.tar.zst, .tar, .part000)')
    .requiredOption('-r, --registry <host>', 'target: HOST[:PORT][/PREFIX]')
    .option('-j, --concurrency <n>', 'blobs in flight at once', '4')
    .option('--json', 'print every pushed reference with its digest as JSON');
  addRegistryFlags(cmd).action(async (path: string, opts: PushFlags) => {
    const foreign = await foreignPackageHandler(path);
    if (foreign !== undefined) return foreign.push(path, opts);
    const connection = await registryOptionsFrom(opts);
    const mode = outputMode(opts.json === true);
    const report = await runWithProgress(mode, `Push ${path}`, (onEvent) =>
      pushBundle(path, {
        registry: opts.registry,
        connection,
        concurrency: Number(opts.concurrency),
        prepare: async (registry, repositories) => {
          await ensureHarborProjects(registry.name, repositories, { ...connection, onEvent });
        },
        onEvent,
      }),
    );
    if (mode === 'json') {
      printJson(report);
      return;
    }
    printLine(table(['KIND', 'REFERENCE', 'DIGEST'], report.references.map((r) => [r.kind, r.reference, r.digest])));
    if (report.retries.length > 0) printLine(`Recovered from ${report.retries.length} transient failures: ${[...new Set(report.retries.map((r) => r.reason))].slice(0, 3).join('; ')}`);
    printLine(`Pushed ${report.references.length} artifacts to ${report.registry}: ${report.uploaded} sent (${formatBytes(report.bytes)}), ${report.skipped} already there, ${report.mounted} mounted`);
  });
}
