import { Option, type Command } from 'commander';
import { materializeModel } from '../../materialize/materialize-model.js';
import { MATERIALIZE_LAYOUTS, type MaterializeLayout } from '../../materialize/materialize-plan.js';
import type { MaterializeResult } from '../../materialize/write-plan.js';
import { formatBytes } from '../../util/bytes.js';
import { printJson, printLine } from '../output.js';
import { outputMode, runWithProgress } from '../reporter.js';

/** registerMaterialize adds `bundle materialize BUNDLE --model NAME --layout LAYOUT --to DIR`. */
export function registerMaterialize(program: Command): void {
  program
    .command('materialize')
    .description('write a model of the bundle as files (plain, Hugging Face cache or Ollama store), verified, resumable')
    .argument('<path>', 'bundle: directory, .tar, .tar.zst, first volume or .parts.json')
    .requiredOption('--model <name>', 'the model: artifact name or ref')
    .addOption(new Option('--layout <layout>', 'file layout').choices([...MATERIALIZE_LAYOUTS]).makeOptionMandatory())
    .requiredOption('--to <dir>', 'target directory (created; the marker files .airbundle-materialized.json and .done go at its top)')
    .option('--json', 'print the result as JSON')
    .action(async (path: string, opts: { model: string; layout: MaterializeLayout; to: string; json?: boolean }) => {
      const mode = outputMode(opts.json === true);
      const result = await runWithProgress(mode, `Materialize ${opts.model} from ${path}`, (onEvent) =>
        materializeModel(path, { model: opts.model, layout: opts.layout, to: opts.to, onEvent }),
      );
      if (mode === 'json') printJson(result);
      else for (const line of describe(result)) printLine(line);
    });
}

function describe(r: MaterializeResult): string[] {
  const head = r.written === 0 ? `${r.root}: already complete (${r.skipped} files)` : `${r.root}: ${r.written} files written (${formatBytes(r.bytes)}), ${r.skipped} already there`;
  switch (r.layout) {
    case 'hf-cache':
      return [head, `  use: HF_HUB_CACHE=${r.root} HF_HUB_OFFLINE=1, model ${r.modelName} (or the path ${r.modelPath})`];
    case 'ollama':
      return [head, `  use: OLLAMA_MODELS=${r.root}, model ${r.modelName}`];
    default:
      return [head, `  model files in ${r.modelPath}`];
  }
}
