/**
 * gen-schema-types writes src/schema/generated/ from schemas/*.schema.json: TypeScript types and the schema
 * itself as a module. The JSON files are the source of truth; a test fails when the generated files drift.
 *   npm run gen:types           write the files
 *   npm run gen:types -- --check  exit 1 if they differ from what is committed
 */
import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { generateSchemaModules } from './schema-modules.js';

const root = join(import.meta.dirname, '..');
const check = process.argv.includes('--check');
const outDir = join(root, 'src', 'schema', 'generated');
const inputs: Array<{ file: string; schema: Record<string, unknown> }> = [];
for (const file of (await readdir(join(root, 'schemas'))).filter((f) => f.endsWith('.schema.json')).sort()) {
  inputs.push({ file, schema: JSON.parse(await readFile(join(root, 'schemas', file), 'utf8')) as Record<string, unknown> });
}
let stale = 0;
for (const mod of await generateSchemaModules(inputs)) {
  const path = join(outDir, mod.file);
  const current = await readFile(path, 'utf8').catch(() => '');
  if (current === mod.text) continue;
  stale++;
  if (check) process.stderr.write(`stale: ${path} (run npm run gen:types)\n`);
  else await writeFile(path, mod.text);
}
if (check && stale > 0) process.exit(1);
