import { Command, CommanderError } from 'commander';
import { AirbundleError, errorMessage } from '../errors.js';
import { VERSION } from '../version.js';
import { registerBuild } from './commands/build-command.js';
import { registerDeploy } from './commands/deploy-command.js';
import { registerExport } from './commands/export-command.js';
import { registerInspect } from './commands/inspect-command.js';
import { registerMaterialize } from './commands/materialize-command.js';
import { registerPush } from './commands/push-command.js';
import { registerServe } from './commands/serve-command.js';
import { registerSign } from './commands/sign-command.js';
import { registerVerify } from './commands/verify-command.js';
import { ExitError, exitCodeFor } from './exit-error.js';
import { registerZarf } from '../../zarf-compat/cli/zarf-command.js';

/** createProgram builds the `bundle` command line. */
export function createProgram(): Command {
  const program = new Command('bundle')
    .description('move AI models and container images into air-gapped Kubernetes clusters')
    .version(VERSION)
    .showHelpAfterError()
    .exitOverride();
  registerBuild(program);
  registerVerify(program);
  registerInspect(program);
  registerExport(program);
  registerMaterialize(program);
  registerSign(program);
  registerPush(program);
  registerDeploy(program);
  registerServe(program);
  registerZarf(program);
  return program;
}

/** main runs the CLI and is the only place that exits the process. */
export async function main(argv: string[] = process.argv): Promise<void> {
  const json = argv.includes('--json');
  try {
    await createProgram().parseAsync(argv);
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
