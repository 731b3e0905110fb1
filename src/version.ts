import { readFileSync } from 'node:fs';

/** VERSION is this package's version, read once from package.json. */
export const VERSION: string = (() => {
  for (const rel of ['../package.json', '../../package.json']) {
    try {
      const pkg: unknown = JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8'));
      if (pkg !== null && typeof pkg === 'object' && (pkg as { name?: unknown }).name === 'airbundle') {
        const v = (pkg as { version?: unknown }).version;
        if (typeof v === 'string') return v;
      }
    } catch {
      // try the next location (src/ when run from source, dist/src/ when built)
    }
  }
  return '0.0.0';
})();
