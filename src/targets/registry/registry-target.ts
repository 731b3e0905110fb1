import { AirbundleError } from '../../errors.js';
import { withoutUserinfo } from '../../util/redact.js';

/** RegistryTarget is `--registry HOST[:PORT][/PREFIX]` taken apart. */
export interface RegistryTarget {
  host: string;
  prefix: string;
}

/** parseRegistryTarget reads `HOST[:PORT][/PREFIX]` (a scheme, if given, is refused: use --plain-http). */
export function parseRegistryTarget(text: string): RegistryTarget {
  if ((text.split('/')[0] ?? '').includes('@')) {
    throw new AirbundleError('USAGE', `--registry "${withoutUserinfo(text)}" carries credentials; it must be HOST[:PORT][/PREFIX]`, {
      hint: 'pass the user with --username and the password on standard input with --password-stdin',
    });
  }
  if (/^[a-z]+:\/\//i.test(text)) {
    throw new AirbundleError('USAGE', `--registry "${text}" must be HOST[:PORT][/PREFIX], without a scheme`, { hint: 'for a plain-HTTP registry add --plain-http' });
  }
  const slash = text.indexOf('/');
  const host = slash < 0 ? text : text.slice(0, slash);
  const prefix = slash < 0 ? '' : text.slice(slash + 1).replace(/\/+$/, '');
  if (!/^[A-Za-z0-9.-]+(:\d+)?$|^\[[0-9a-fA-F:]+\](:\d+)?$/.test(host)) {
    throw new AirbundleError('USAGE', `--registry "${text}": "${host}" is not HOST[:PORT]`);
  }
  return { host, prefix };
}
