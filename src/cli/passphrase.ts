import { AirbundleError } from '../errors.js';

/**
 * readPassphrase returns `$AIRBUNDLE_PASSPHRASE` when set, else prompts on the terminal without echo. Off a
 * terminal with no variable set it fails with a message that says which variable to set.
 */
export async function readPassphrase(prompt: string, confirm = false): Promise<string> {
  const env = process.env.AIRBUNDLE_PASSPHRASE;
  if (env !== undefined) return env;
  if (process.stdin.isTTY !== true) {
    throw new AirbundleError('KEY_PASSPHRASE', 'a passphrase is needed and there is no terminal to ask for it', {
      hint: 'set AIRBUNDLE_PASSPHRASE',
    });
  }
  const first = await promptHidden(prompt);
  if (confirm && (await promptHidden('Repeat passphrase: ')) !== first) {
    throw new AirbundleError('KEY_PASSPHRASE', 'the two passphrases differ');
  }
  return first;
}

function promptHidden(prompt: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const stdin = process.stdin;
    process.stderr.write(prompt);
    stdin.setRawMode(true);
    stdin.resume();
    let value = '';
    const onData = (data: Buffer): void => {
      for (const ch of data.toString('utf8')) {
        if (ch === '\r' || ch === '\n') {
          done();
          resolve(value);
          return;
        }
        if (ch === '\u0003') {
          done();
          reject(new AirbundleError('ABORTED', 'interrupted'));
          return;
        }
        if (ch === '\u007f') value = value.slice(0, -1);
        else value += ch;
      }
    };
    const done = (): void => {
      stdin.off('data', onData);
      stdin.setRawMode(false);
      stdin.pause();
      process.stderr.write('\n');
    };
    stdin.on('data', onData);
  });
}
