import { compile } from 'json-schema-to-typescript';

/** GeneratedModule is one file of src/schema/generated/. */
export interface GeneratedModule {
  file: string;
  text: string;
}

const BANNER = '/* Generated from schemas/%s by scripts/gen-schema-types.ts. Do not edit: edit the schema and run npm run gen:types. */\n';

/** constName turns `bundle-spec.schema.json` into `bundleSpecSchema`. */
function constName(file: string): string {
  return file.replace(/\.schema\.json$/, '').replace(/-([a-z])/g, (_m, c: string) => c.toUpperCase()) + 'Schema';
}

/**
 * generateSchemaModules compiles each JSON Schema into TypeScript types (`<name>.ts`) and embeds the schema
 * itself (`<name>.schema.ts`) for the validator, so the built package needs no file lookups at run time.
 * Build-time only (json-schema-to-typescript is a dev dependency).
 */
export async function generateSchemaModules(inputs: Array<{ file: string; schema: Record<string, unknown> }>): Promise<GeneratedModule[]> {
  const out: GeneratedModule[] = [];
  for (const { file, schema } of inputs) {
    const base = file.replace(/\.schema\.json$/, '');
    const banner = BANNER.replace('%s', file);
    const types = await compile(schema, String(schema.title ?? base), {
      bannerComment: '',
      additionalProperties: false,
      unreachableDefinitions: true,
      style: { singleQuote: true, printWidth: 120 },
    });
    out.push({ file: `${base}.ts`, text: banner + types });
    out.push({
      file: `${base}.schema.ts`,
      text: `${banner}export const ${constName(file)} = ${JSON.stringify(schema, null, 2)} as const;\n`,
    });
  }
  return out;
}
