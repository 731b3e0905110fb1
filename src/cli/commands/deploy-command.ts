import type { Command } from 'commander';
import { deployBundle } from '../../deploy/deploy.js';
import { parseSets, readValuesFile } from '../../deploy/values.js';
import { AirbundleError } from '../../errors.js';
import { loadTrustedKeys } from '../keys.js';
import { printJson, printLine } from '../output.js';
import { addRegistryFlags, registryOptionsFrom, type RegistryFlags } from '../registry-options.js';
import { foreignPackageHandler } from '../package-handlers.js';
import { outputMode, runWithProgress } from '../reporter.js';

/** DeployFlags are the parsed flags of `bundle deploy`. */
export interface DeployFlags extends RegistryFlags {
  registry: string;
  namespace?: string;
  key: string[];
  allowUnsigned?: boolean;
  set: string[];
  values?: string;
  renderOnly?: string;
  push?: boolean;
  dryRun?: boolean;
  kubeconfig?: string;
  /** Zarf packages only: optional components to deploy too, comma-separated. */
  components?: string;
  json?: boolean;
}

/** registerDeploy adds `bundle deploy BUNDLE --registry R [--render-only DIR] …`. */
export function registerDeploy(program: Command): void {
  const cmd = program
    .command('deploy')
    .description('verify, push to the in-cluster registry, fill model volumes, and apply the workloads of a bundle')
    .argument('<path>', 'bundle: directory, .tar, .tar.zst, first volume or .parts.json; or a Zarf package (.tar.zst, .tar, .part000)')
    .requiredOption('-r, --registry <host>', 'in-cluster registry: HOST[:PORT][/PREFIX], as the cluster nodes reach it')
    .option('-n, --namespace <ns>', 'namespace (default: deploy.namespace of the bundle, else airbundle)')
    .option('-k, --key <pub>', 'trusted publisher key; repeatable', (v: string, prev: string[]) => [...prev, v], [] as string[])
    .option('--allow-unsigned', 'deploy without checking a signature')
    .option('--set <key=value>', 'a deploy variable; repeatable', (v: string, prev: string[]) => [...prev, v], [] as string[])
    .option('--values <file>', 'deploy variables from a YAML map')
    .option('--render-only <dir>', 'write the objects as YAML files (GitOps) instead of applying them; content is still pushed')
    .option('--no-push', 'do not push the content (it is already in the registry, or --render-only for GitOps)')
    .option('--dry-run', 'check everything and print the plan; change nothing')
    .option('--kubeconfig <file>', 'kubeconfig (default: KUBECONFIG or ~/.kube/config)')
    .option('--components <names>', 'Zarf packages only: optional components to deploy too, comma-separated')
    .option('--json', 'print the report as JSON');
  addRegistryFlags(cmd).action(async (path: string, opts: DeployFlags) => {
    const foreign = await foreignPackageHandler(path);
    if (foreign !== undefined) return foreign.deploy(path, opts);
    if (opts.components !== undefined) throw new AirbundleError('USAGE', '--components applies to Zarf packages only: a bundle deploys all of its content', { hint: 'drop --components' });
    const values = { ...(opts.values !== undefined ? await readValuesFile(opts.values) : {}), ...parseSets(opts.set) };
    const keys = await loadTrustedKeys(opts.key);
    const connection = await registryOptionsFrom(opts);
    // The Kubernetes client costs most of a second to load: only when a cluster is really used.
    const cluster =
      opts.renderOnly === undefined && opts.dryRun !== true ? (await import('../../k8s/connect.js')).connectCluster(opts.kubeconfig !== undefined ? { kubeconfig: opts.kubeconfig } : {}) : undefined;
    const mode = outputMode(opts.json === true);
    const report = await runWithProgress(mode, `Deploy ${path}`, (onEvent) =>
      deployBundle(path, {
        registry: opts.registry,
        connection,
        ...(opts.namespace !== undefined ? { namespace: opts.namespace } : {}),
        values,
        keys,
        allowUnsigned: opts.allowUnsigned === true,
        ...(opts.renderOnly !== undefined ? { renderOnly: opts.renderOnly } : {}),
        noPush: opts.push === false,
        dryRun: opts.dryRun === true,
        ...(cluster !== undefined ? { cluster } : {}),
        onEvent,
      }),
    );
    if (mode === 'json') {
      printJson(report);
      return;
    }
    if (report.signedBy !== undefined) printLine(`Signature verified (key ${report.signedBy.slice(0, 16)})`);
    for (const o of report.objects) printLine(`  ${o.action.padEnd(12)} ${o.id}`);
    if (report.files !== undefined) printLine(`Wrote ${report.files.length} manifests to ${opts.renderOnly}`);
    else if (!report.dryRun) printLine(`Deployed to namespace ${report.namespace}: ${report.objects.filter((o) => o.action !== 'unchanged').length} objects changed, ${report.objects.filter((o) => o.action === 'unchanged').length} unchanged`);
  });
}
