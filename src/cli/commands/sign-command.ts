import type { Command } from 'commander';
import { generateKeyPair } from '../../sign/index.js';
import { signBundle } from '../../sign-bundle.js';
import { signerFromKeyFile } from '../keys.js';
import { printJson, printLine } from '../output.js';
import { readPassphrase } from '../passphrase.js';
import { outputMode, runWithProgress } from '../reporter.js';

/** registerSign adds `bundle sign PATH --key KEY` and `bundle keygen --out PREFIX`. */
export function registerSign(program: Command): void {
  program
    .command('sign')
    .description('sign (or re-sign) a bundle: bundle.sig, a Sigstore bundle over bundle.json')
    .argument('<path>', 'bundle: directory, .tar, .tar.zst, first volume or .parts.json')
    .requiredOption('-k, --key <key>', 'private key: PREFIX.key from bundle keygen, or a cosign key')
    .option('--json', 'print JSON')
    .action(async (path: string, opts: { key: string; json?: boolean }) => {
      const sign = await signerFromKeyFile(opts.key);
      const mode = outputMode(opts.json === true);
      const result = await runWithProgress(mode, `Sign ${path}`, (onEvent) => signBundle(path, sign, { onEvent }));
      if (mode === 'json') printJson(result);
      else printLine(`Signed ${path}`);
    });
  program
    .command('keygen')
    .description('make an ECDSA P-256 key pair: PREFIX.key (encrypted, cosign format) and PREFIX.pub (PEM)')
    .requiredOption('-o, --out <prefix>', 'file name prefix')
    .option('--json', 'print JSON')
    .action(async (opts: { out: string; json?: boolean }) => {
      const passphrase = await readPassphrase('Passphrase for the new key: ', true);
      const written = await generateKeyPair(opts.out, passphrase);
      if (opts.json === true) printJson(written);
      else printLine(`Wrote ${opts.out}.key (private, encrypted) and ${opts.out}.pub (public)`);
    });
}
