import { readFile, stat } from 'node:fs/promises';
import { AirbundleError, errorMessage } from '../errors.js';

/** A PEM key is a few hundred bytes; anything this large is the wrong file. */
const MAX_KEY_FILE_BYTES = 64 * 1024;

/** readKeyFile reads a key file as text, turning a missing, unreadable or oversized file into KEY_INVALID. */
export async function readKeyFile(path: string, kind: 'private' | 'public'): Promise<string> {
  const hint =
    kind === 'private'
      ? 'Pass PREFIX.key from `bundle keygen --out PREFIX`, a cosign.key, or an unencrypted PEM EC private key'
      : 'Pass PREFIX.pub from `bundle keygen --out PREFIX` or a cosign.pub (a PEM "PUBLIC KEY")';
  try {
    const st = await stat(path);
    if (!st.isFile()) throw new AirbundleError('KEY_INVALID', `${path} is not a file`, { hint });
    if (st.size > MAX_KEY_FILE_BYTES) {
      throw new AirbundleError('KEY_INVALID', `${path} is ${st.size} bytes, too large to be a ${kind} key`, { hint });
    }
    return await readFile(path, 'utf8');
  } catch (err) {
    if (err instanceof AirbundleError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : errorMessage(err);
    throw new AirbundleError('KEY_INVALID', `cannot read ${kind} key file ${path}: ${why}`, { hint, cause: err });
  }
}
