/**
 * CLI wiring of zarf-compat: the `bundle zarf` group (`import`, `verify`), and a package handler through which
 * `bundle push` and `bundle deploy` take Zarf packages (`zarf-package-….tar.zst`, `.tar`, `.partNNN`).
 */
import type { Command } from 'commander';
import type { DeployFlags } from '../../src/cli/commands/deploy-command.js';
import type { PushFlags } from '../../src/cli/commands/push-command.js';
import { loadTrustedKeys, privateKeyFromFile } from '../../src/cli/keys.js';
import { printJson, printLine, table } from '../../src/cli/output.js';
import { registerPackageHandler } from '../../src/cli/package-handlers.js';
import { registryOptionsFrom } from '../../src/cli/registry-options.js';
import { outputMode, runWithProgress } from '../../src/cli/reporter.js';
import { parseSets, readValuesFile } from '../../src/deploy/values.js';
import { AirbundleError } from '../../src/errors.js';
import { formatBytes } from '../../src/util/bytes.js';
import type { ReportItem } from '../import/import-report.types.js';
import { importZarfDefinition } from '../import/import-zarf.js';
import { exportZarfPackage } from '../export/export-bundle.js';
import { deployZarfPackage } from '../package/deploy-package.js';
import { isZarfPackage, openPackageSource } from '../package/package-source.js';
import { pushZarfPackage } from '../package/push-package.js';
import { scanPackage } from '../package/scan-package.js';
import { verifyZarfSignature, type VerifiedZarfSignature } from '../package/zarf-signature.js';

const repeat = (v: string, prev: string[]): string[] => [...prev, v];

/** registerZarf adds `bundle zarf import|verify|export` and lets `bundle push|deploy` take Zarf packages. */
export function registerZarf(program: Command): void {
  registerPackageHandler({ name: 'zarf', detect: isZarfPackage, push: pushAction, deploy: deployAction });
  const zarf = program.command('zarf').description('Zarf compatibility: import zarf.yaml; push and deploy take Zarf packages directly');
  zarf
    .command('import')
    .description('convert a Zarf package definition (zarf.yaml, v1alpha1 or v1beta1) into bundle.yaml, reporting what cannot be carried')
    .argument('<zarf.yaml>', 'a zarf.yaml, or the directory holding it')
    .option('-o, --out <bundle.yaml>', 'spec to write; shipped manifests go beside it', 'bundle.yaml')
    .option('--flavor <flavor>', 'take components with this only.flavor (and those without)')
    .option('--arch <arch>', 'target architecture (default: metadata.architecture, else this machine)')
    .option('--set <KEY=VALUE>', 'value of a ###ZARF_PKG_TMPL_KEY### create-time template; repeatable', repeat, [] as string[])
    .option('--components <names>', 'optional components to take too, comma-separated')
    .option('--dry-run', 'convert and check, write nothing')
    .option('--json', 'print the result and report as JSON')
    .action(async (path: string, opts: { out: string; flavor?: string; arch?: string; set: string[]; components?: string; dryRun?: boolean; json?: boolean }) => {
      const result = await importZarfDefinition(path, {
        out: opts.out,
        set: parseSets(opts.set),
        ...(opts.flavor !== undefined ? { flavor: opts.flavor } : {}),
        ...(opts.arch !== undefined ? { arch: opts.arch } : {}),
        ...(opts.components !== undefined ? { components: splitNames(opts.components) } : {}),
        dryRun: opts.dryRun === true,
      });
      if (opts.json === true) {
        printJson({ out: result.out, source: result.source, files: result.files, report: result.report, spec: result.spec });
        return;
      }
      const s = result.spec;
      printLine(`${opts.dryRun === true ? 'Would write' : 'Wrote'} ${result.out} from ${result.source.file} (${result.source.apiVersion}, arch ${result.source.arch}${result.source.flavor !== '' ? `, flavor ${result.source.flavor}` : ''})`);
      printLine(`  ${s.images?.length ?? 0} images, ${s.models?.length ?? 0} file artifacts, ${s.deploy?.manifests?.length ?? 0} manifests, ${s.deploy?.variables?.length ?? 0} variables, ${s.deploy?.volumes?.length ?? 0} volumes`);
      printReport(result.report, 'Import report');
    });
  zarf
    .command('verify')
    .description('read a Zarf package once and check every file against checksums.txt, the aggregate checksum and (with --key) the signature')
    .argument('<package>', 'zarf-package-….tar.zst, .tar, or any .partNNN of a split package')
    .option('-k, --key <pub>', 'publisher\'s cosign public key; repeatable', repeat, [] as string[])
    .option('--json', 'print the result as JSON')
    .action(async (path: string, opts: { key: string[]; json?: boolean }) => {
      const keys = await loadTrustedKeys(opts.key);
      const mode = outputMode(opts.json === true);
      let signedBy: VerifiedZarfSignature | undefined;
      const scan = await runWithProgress(mode, `Verify ${path}`, async (onEvent) =>
        scanPackage(await openPackageSource(path), {
          onEvent,
          trust: (definition, signatures) => {
            if (keys.length > 0) signedBy = verifyZarfSignature(definition, signatures, keys);
            return signedBy !== undefined;
          },
        }),
      );
      const summary = {
        package: scan.pkg.metadata.name,
        version: scan.pkg.metadata.version,
        files: scan.files.length,
        bytes: scan.files.reduce((n, f) => n + f.size, 0),
        images: (scan.index?.manifests ?? []).length,
        components: scan.pkg.components.map((c) => c.name),
        signed: scan.signatures.bundle !== undefined ? 'zarf.bundle.sig' : scan.signatures.legacy !== undefined ? 'zarf.yaml.sig' : undefined,
        ...(signedBy !== undefined ? { signedBy } : {}),
      };
      if (mode === 'json') return printJson(summary);
      printLine(`OK ${scan.source.name}: ${summary.files} files (${formatBytes(summary.bytes)}) match checksums.txt and the aggregate checksum; ${summary.images} images; components ${summary.components.join(', ')}`);
      printLine(signedBy !== undefined ? `Signature ${signedBy.file} verified (key ${signedBy.keyId.slice(0, 16)})` : summary.signed !== undefined ? `Signed (${summary.signed}); pass --key to check the signature` : 'Not signed');
    });

  zarf
    .command('export')
    .description('write a bundle as a Zarf package (images and models as OCI images in images/), streamed from the bundle')
    .argument('<bundle>', 'bundle: directory, .tar, .tar.zst, first volume or .parts.json')
    .option('-o, --out <file>', 'package to write (default zarf-package-<name>-<arch>-<version>.tar.zst)')
    .option('--arch <arch>', 'metadata.architecture (default: the platform of the bundle\'s images, else this machine)')
    .option('--sign <key>', 'sign zarf.yaml with this private key (zarf.bundle.sig and zarf.yaml.sig, as `zarf package sign`)')
    .option('--json', 'print the result as JSON')
    .action(async (path: string, opts: { out?: string; arch?: string; sign?: string; json?: boolean }) => {
      const mode = outputMode(opts.json === true);
      const signWith = opts.sign !== undefined ? await privateKeyFromFile(opts.sign) : undefined;
      const result = await runWithProgress(mode, `Export ${path} as a Zarf package`, () =>
        exportZarfPackage(path, {
          ...(opts.out !== undefined ? { out: opts.out } : {}),
          ...(opts.arch !== undefined ? { arch: opts.arch } : {}),
          ...(signWith !== undefined ? { signWith } : {}),
        }),
      );
      if (mode === 'json') return printJson(result);
      for (const i of result.images) printLine(`  ${i.kind.padEnd(6)} ${i.reference} ${i.digest}`);
      printLine(`Wrote ${result.path}: Zarf package ${result.name} ${result.version} (${result.architecture}), ${result.images.length} images, ${result.blobs} blobs (${formatBytes(result.bytes)})`);
    });
}

async function pushAction(path: string, flags: PushFlags): Promise<void> {
  const connection = await registryOptionsFrom(flags);
  const mode = outputMode(flags.json === true);
  const result = await runWithProgress(mode, `Push Zarf package ${path}`, (onEvent) => pushZarfPackage(path, { registry: flags.registry, connection, onEvent }));
  if (mode === 'json') return printJson(result);
  printImages(result.push.images);
  printLine(`Pushed ${result.push.images.length} images of Zarf package ${result.package.name} to ${flags.registry}: ${result.push.uploaded} blobs sent (${formatBytes(result.push.bytes)}), ${result.push.skipped} already there, ${result.push.mounted} mounted`);
}

async function deployAction(path: string, flags: DeployFlags): Promise<void> {
  if (flags.namespace !== undefined) throw new AirbundleError('USAGE', '--namespace is not supported for Zarf packages: their manifests name their namespaces');
  const values = { ...(flags.values !== undefined ? await readValuesFile(flags.values) : {}), ...parseSets(flags.set) };
  const keys = await loadTrustedKeys(flags.key);
  const connection = await registryOptionsFrom(flags);
  const cluster =
    flags.renderOnly === undefined && flags.dryRun !== true ? (await import('../../src/k8s/connect.js')).connectCluster(flags.kubeconfig !== undefined ? { kubeconfig: flags.kubeconfig } : {}) : undefined;
  const mode = outputMode(flags.json === true);
  const report = await runWithProgress(mode, `Deploy Zarf package ${path}`, (onEvent) =>
    deployZarfPackage(path, {
      registry: flags.registry,
      connection,
      keys,
      allowUnsigned: flags.allowUnsigned === true,
      values,
      ...(flags.components !== undefined ? { components: splitNames(flags.components) } : {}),
      noPush: flags.push === false,
      dryRun: flags.dryRun === true,
      ...(flags.renderOnly !== undefined ? { renderOnly: flags.renderOnly } : {}),
      ...(cluster !== undefined ? { cluster } : {}),
      onEvent,
    }),
  );
  if (mode === 'json') return printJson(report);
  if (report.signedBy !== undefined) printLine(`Signature ${report.signedBy.file} verified (key ${report.signedBy.keyId.slice(0, 16)})`);
  if (report.push !== undefined) printImages(report.push.images);
  const pushed = !report.dryRun && flags.push !== false;
  for (const c of report.charts) {
    printLine(`Helm chart ${c.chart} version ${c.version} ${pushed ? 'pushed' : 'would be pushed'} as ${c.reference}; install it with \`${c.install}\` (deploy does not run Helm)`);
    if (c.values.length > 0) printLine(`  values files (in components/${c.component}.tar): ${c.values.join(', ')}`);
  }
  for (const o of report.objects) printLine(`  ${o.action.padEnd(12)} ${o.id}`);
  if (report.files !== undefined) printLine(`Wrote ${report.objects.length} manifests${report.charts.length > 0 ? ' and charts.txt' : ''} to ${flags.renderOnly}`);
  else if (!report.dryRun) printLine(`Deployed components ${report.components.join(', ')} of ${report.package.name}`);
  printReport(report.report, 'Not deployed / needs attention');
}

/** splitNames reads a comma-separated list of component names. */
function splitNames(list: string): string[] {
  return list.split(',').map((s) => s.trim()).filter((s) => s !== '');
}

function printImages(images: Array<{ image: string; digest: string; checksummed: string; plain: string }>): void {
  if (images.length === 0) return;
  printLine(table(['IMAGE', 'ZARF REFERENCE', 'DIGEST'], images.map((i) => [i.image, i.checksummed, i.digest])));
}

function printReport(report: ReportItem[], title: string): void {
  if (report.length === 0) return;
  printLine(`${title} (${report.length}):`);
  for (const r of report) printLine(`  ${r.kind.padEnd(11)} ${r.where}: ${r.message}${r.hint !== undefined ? `\n              hint: ${r.hint}` : ''}`);
}
