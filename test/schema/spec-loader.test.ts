import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseBundleSpec } from '../../src/schema/spec-loader.js';
import { parseSize } from '../../src/schema/sizes.js';
import { AirbundleError } from '../../src/errors.js';
import { generateSchemaModules } from '../../scripts/schema-modules.js';
import { REPO } from '../support/cli.js';

const HEAD = 'apiVersion: airbundle.dev/v1\nkind: Bundle\nmetadata: {name: demo, version: 0.1.0}\n';

function problem(text: string): AirbundleError {
  try {
    parseBundleSpec(text, '/x/bundle.yaml');
  } catch (err) {
    expect(err).toBeInstanceOf(AirbundleError);
    return err as AirbundleError;
  }
  throw new Error('expected the spec to be refused');
}

describe('bundle.yaml', () => {
  it('accepts the shape of the issue, with file, https and oci-layout sources', () => {
    const spec = parseBundleSpec(
      `${HEAD}models:\n  - name: tiny-llm\n    source: file://./models/tiny-llm\n  - name: extra-weights\n    source: https://host/path/model.safetensors#sha256=${'a'.repeat(64)}\nimages:\n  - source: oci-layout:./images/hello:v1\n`,
      'bundle.yaml',
    );
    expect(spec.models).toHaveLength(2);
    expect(spec.images?.[0]?.source).toBe('oci-layout:./images/hello:v1');
  });

  it('reports every problem at once, each with line, column and field path', () => {
    const err = problem(`${HEAD}models:\n  - name: Bad Name\n    sorce: x\n  - name: ok\n    source: y\n    tag: 5\n`);
    expect(err.code).toBe('SPEC_UNKNOWN_FIELD');
    expect(err.message).toContain('/x/bundle.yaml:5:11: models[0].name: "Bad Name" is not valid: Model name');
    expect(err.message).toContain('/x/bundle.yaml:6:5: models[0].sorce: unknown field "sorce"; did you mean "source"?');
    expect(err.message).toContain('models[0]: the required field "source" is missing');
    expect(err.message).toContain('/x/bundle.yaml:9:10: models[1].tag');
  });

  it('names wrong constants and YAML syntax errors with their place', () => {
    expect(problem('apiVersion: v2\nkind: Bundle\nmetadata: {name: a, version: 1}\n').message).toMatch(/:1:13: apiVersion: must be "airbundle.dev\/v1"/);
    const syntax = problem(`${HEAD}models: [unclosed\n`);
    expect(syntax.code).toBe('SPEC_SYNTAX');
    expect(syntax.message).toMatch(/bundle\.yaml:\d+:\d+/);
    expect(problem(`${HEAD}${HEAD}`).code).toBe('SPEC_SYNTAX');
    expect(problem('').code).toBe('SPEC_INVALID');
  });

  it('checks pins, duplicate names and sizes the schema cannot', () => {
    const err = problem(`${HEAD}options: {chunkSize: 12K}\nmodels:\n  - {name: a, source: "https://h/m#sha256=abc"}\n  - {name: a, source: file://x}\n`);
    expect(err.message).toMatch(/models\[0\]\.source: the sha256 pin "abc" is not 64/);
    expect(err.message).toMatch(/models\[1\]\.name: "a" is already the name of models\[0\]/);
    expect(err.message).toMatch(/options\.chunkSize/);
  });
});

describe('parseSize', () => {
  it('reads K/M/G suffixes and refuses nonsense', () => {
    expect(parseSize('4G')).toBe(4 * 1024 ** 3);
    expect(parseSize('700M')).toBe(700 * 1024 ** 2);
    expect(parseSize('256KiB')).toBe(256 * 1024);
    expect(parseSize('1.5G')).toBe(1.5 * 1024 ** 3);
    expect(parseSize('12345')).toBe(12345);
    expect(() => parseSize('lots')).toThrow(/"lots" is not a size/);
    expect(() => parseSize('0')).toThrow();
  });
});

describe('schemas/ is the single source of truth', () => {
  it('src/schema/generated matches what npm run gen:types makes from schemas/', async () => {
    const inputs = [];
    for (const file of (await readdir(join(REPO, 'schemas'))).filter((f) => f.endsWith('.schema.json')).sort()) {
      inputs.push({ file, schema: JSON.parse(await readFile(join(REPO, 'schemas', file), 'utf8')) as Record<string, unknown> });
    }
    for (const mod of await generateSchemaModules(inputs)) {
      expect(await readFile(join(REPO, 'src', 'schema', 'generated', mod.file), 'utf8'), `${mod.file} is stale: run npm run gen:types`).toBe(mod.text);
    }
  });
});
