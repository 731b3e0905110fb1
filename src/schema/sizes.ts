import { AirbundleError } from '../errors.js';

const UNITS: Record<string, number> = { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3, T: 1024 ** 4 };

/**
 * parseSize reads a byte size: `1048576`, `64M`, `4G`, `700MiB`, `1.5G` (binary units; K, M, G, T with an
 * optional `i` and/or `B`). Throws USAGE naming the bad value.
 */
export function parseSize(text: string, what = 'size'): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([KMGT]?)(?:i?B)?\s*$/i.exec(text);
  const unit = m?.[2]?.toUpperCase() ?? '';
  const value = m === null ? NaN : Math.floor(Number(m[1]) * UNITS[unit]!);
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new AirbundleError('USAGE', `${what} "${text}" is not a size`, { hint: 'write a number of bytes or use K, M, G, T suffixes, e.g. 4G or 700M' });
  }
  return value;
}
