import { Command, CommanderError } from 'commander';
import { AirbundleError, errorMessage } from '../errors.js';
import { VERSION } from '../version.js';
import { ExitError, exitCodeFor } from './exit-error.js';

type Register = (program: Command) => void;

/**
 * The commands, in help order, with the names each module registers; a module is loaded only when its command
 * runs. Loading all of them (deploy and zarf bring the Kubernetes client) cost every `bundle build`, `verify` or
 * `push` about 0.5 s of CPU and 25 MiB of RSS before it started (measured on `bundle build` of a tiny model).
 * A name missing here still works: an unknown word loads every module.
 */
const COMMANDS: Array<[names: string[], load: () => Promise<Register>]> = [
  [['build'], async () => (await import('./commands/build-command.js')).registerBuild],
  [['verify'], async () => (await import('./commands/verify-command.js')).registerVerify],
  [['inspect'], async () => (await import('./commands/inspect-command.js')).registerInspect],
  [['export'], async () => (await import('./commands/export-command.js')).registerExport],
  [['materialize'], async () => (await import('./commands/materialize-command.js')).registerMaterialize],
  [['sign', 'keygen'], async () => (await import('./commands/sign-command.js')).registerSign],
  [['push'], async () => (await import('./commands/push-command.js')).registerPush],
  [['deploy'], async () => (await import('./commands/deploy-command.js')).registerDeploy],
  [['serve'], async () => (await import('./commands/serve-command.js')).registerServe],
  // zarf-compat also hands Zarf packages given to push and deploy to its own handler.
  [['zarf', 'push', 'deploy'], async () => (await import('../../zarf-compat/cli/zarf-command.js')).registerZarf],
];

/**
 * createProgram builds the `bundle` command line: with only the command `argv` names when it names one (its
 * first word that is not an option), else with all of them (help, version, a mistyped command).
 */
export async function createProgram(argv: readonly string[] = process.argv): Promise<Command> {
  const program = new Command('bundle')
    .description('move AI models and container images into air-gapped Kubernetes clusters')
    .version(VERSION)
    .showHelpAfterError()
    .exitOverride();
  const word = argv.slice(2).find((a) => !a.startsWith('-'));
  const named = COMMANDS.filter(([names]) => word !== undefined && names.includes(word));
  for (const [, load] of named.length > 0 ? named : COMMANDS) (await load())(program);
  return program;
}

/** main runs the CLI and is the only place that exits the process. */
export async function main(argv: string[] = process.argv): Promise<void> {
  const json = argv.includes('--json');
  try {
    await (await createProgram(argv)).parseAsync(argv);
  } catch (err) {
    process.exitCode = report(err, json);
  }
}

function report(err: unknown, json: boolean): number {
  if (err instanceof ExitError) return err.exitCode;
  if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
  if (err instanceof AirbundleError) {
    if (json) process.stdout.write(`${JSON.stringify({ error: { code: err.code, message: err.message, hint: err.hint, details: err.details } }, null, 2)}\n`);
    process.stderr.write(`error [${err.code}]: ${err.message}\n`);
    if (err.hint !== undefined) process.stderr.write(`  hint: ${err.hint}\n`);
    return exitCodeFor(err.code);
  }
  process.stderr.write(`internal error: ${errorMessage(err)}\n`);
  if (err instanceof Error && err.stack !== undefined) process.stderr.write(`${err.stack}\n`);
  process.stderr.write('This is a bug in airbundle; please report it with the command you ran.\n');
  return 70;
}
