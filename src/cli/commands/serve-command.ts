import type { Command } from 'commander';
import { AirbundleError } from '../../errors.js';
import type { ProgressEvent } from '../../progress/events.js';
import { serve } from '../../serve/serve.js';
import { printJson, printLine } from '../output.js';

/** parseListen reads `HOST:PORT`, `:PORT` or `PORT` (host defaults to 127.0.0.1: serving wider is a choice). */
export function parseListen(text: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]*))?:?(\d+)$/.exec(text.trim());
  const port = m === null ? NaN : Number(m[3]);
  if (m === null || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new AirbundleError('USAGE', `--listen "${text}" is not HOST:PORT`, { hint: 'e.g. --listen 127.0.0.1:5000, or 0.0.0.0:5000 to serve other machines' });
  }
  const host = m[1] ?? (m[2] !== undefined && m[2] !== '' ? m[2] : '127.0.0.1');
  return { host, port };
}

/** registerServe adds `bundle serve PATH --listen ADDR:PORT`. */
export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('serve a bundle (or an OCI layout directory) as a read-only OCI registry, reading it in place')
    .argument('<path>', 'bundle: directory, .tar, .tar.zst, first volume or .parts.json; or an OCI layout directory')
    .option('-l, --listen <addr>', 'address to listen on, HOST:PORT', '127.0.0.1:5000')
    .option('--prefix <path>', 'repository prefix, as for bundle push (e.g. mirror)')
    .option('--json', 'print the address and references as one JSON line, then log requests as JSON lines')
    .action(async (path: string, opts: { listen: string; prefix?: string; json?: boolean }) => {
      const { host, port } = parseListen(opts.listen);
      const json = opts.json === true;
      const log = (e: ProgressEvent): void => {
        if (json) printJson(e, true);
        else if (e.type === 'info' || e.type === 'warn') printLine(`${e.type === 'warn' ? 'warning: ' : ''}${e.message}`);
      };
      const running = await serve(path, { host, port, prefix: opts.prefix, onEvent: log });
      if (json) printJson({ url: running.url, address: running.address, references: running.references }, true);
      else {
        printLine(`Serving ${path} at ${running.url} (read-only; Ctrl-C to stop)`);
        for (const r of running.references) printLine(`  ${r}`);
      }
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      await running.close();
    });
}
