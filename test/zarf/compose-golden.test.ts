import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadZarfDefinition } from '../../zarf-compat/index.js';
import { expectCode } from '../support/matchers.js';

const TESTDATA = '/work/shared/zarf-fixtures/import-testdata';

/** normalize drops what Go's struct comparison cannot see: empty lists and maps, false `default`, nulls. */
function normalize(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(normalize);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      const n = normalize(v);
      if (n === undefined || n === null) continue;
      if (Array.isArray(n) && n.length === 0) continue;
      if (typeof n === 'object' && !Array.isArray(n) && Object.keys(n).length === 0) continue;
      if (k === 'default' && n === false) continue;
      out[k] = n;
    }
    return out;
  }
  return value;
}

describe('zarf import: compose (component imports)', () => {
  describe('when a golden expected.yaml exists', () => {
    const cases: Array<{ dir: string; flavor?: string }> = [
      { dir: 'import/import-each-other' },
      { dir: 'import/variables' },
      { dir: 'import/branch' },
      { dir: 'import/flavor', flavor: 'pistachio' },
      { dir: 'import/chart' },
      { dir: 'import/archives' },
      { dir: 'import/values/precedence-order' },
      { dir: 'import/values/duplicate-consecutive' },
      { dir: 'import/values/duplicate-interleaved' },
      { dir: 'import/values/multiple-imports' },
      { dir: 'import/values/schema-parent-empty' },
      { dir: 'import/values/schema-parent-wins' },
    ];
    it.each(cases)('$dir composes to expected.yaml', async ({ dir, flavor }) => {
      const loaded = await loadZarfDefinition(join(TESTDATA, dir, 'zarf.yaml'), { arch: 'amd64', ...(flavor !== undefined ? { flavor } : {}) });
      const expected: unknown = parse(await readFile(join(TESTDATA, dir, 'expected.yaml'), 'utf8'));
      expect(normalize(loaded.pkg)).toEqual(normalize(expected));
      expect(JSON.stringify(loaded.pkg)).not.toContain('\\\\');
    });
  });

  describe('when imports form a cycle', () => {
    it('fails naming the package imported twice on the chain', async () => {
      const err = await expectCode(loadZarfDefinition(join(TESTDATA, 'import/circular/first/zarf.yaml'), { arch: 'amd64' }), 'ZARF_IMPORT_FAILED');
      expect(err.message).toMatch(/circular\/second imported in cycle by .*circular\/third in component component/);
    });
    it('fails for v1beta1 component configs that import each other', async () => {
      const err = await expectCode(loadZarfDefinition(join(TESTDATA, 'import-v1beta1/cycle/zarf.yaml'), { arch: 'amd64' }), 'ZARF_IMPORT_FAILED');
      expect(err.message).toMatch(/a\.yaml imported in cycle/);
    });
  });
});
