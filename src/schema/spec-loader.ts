import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { ErrorObject } from 'ajv/dist/2020.js';
import { LineCounter, isMap, isPair, isScalar, parseDocument, type Document, type Node } from 'yaml';
import { AirbundleError, type ErrorCode } from '../errors.js';
import { hasUserinfo, withoutUserinfo } from '../util/redact.js';
import { nearest } from './did-you-mean.js';
import type { BundleSpec } from './generated/bundle-spec.js';
import { specValidate } from './validate.js';

/** LoadedSpec is a validated bundle.yaml and where it was read from. */
export interface LoadedSpec {
  spec: BundleSpec;
  /** Absolute path of the file. */
  path: string;
  /** Its directory: relative sources resolve against it. */
  dir: string;
}

/** SpecProblem is one thing wrong with a spec, placed in the file. */
export interface SpecProblem {
  line: number;
  col: number;
  /** Field path, e.g. `models[0].source`. */
  field: string;
  message: string;
  unknownField?: boolean;
}

/**
 * loadBundleSpec reads and validates bundle.yaml. Every problem found is reported at once, each with its
 * file:line:col and field path; an unknown field comes with the nearest known one. The schema in
 * schemas/bundle-spec.schema.json is the only definition of what is valid.
 */
export async function loadBundleSpec(path: string): Promise<LoadedSpec> {
  const abs = resolve(path);
  const text = await readFile(abs, 'utf8').catch((err: unknown) => {
    const code = (err as NodeJS.ErrnoException).code;
    throw new AirbundleError('SPEC_NOT_FOUND', `cannot read the bundle spec ${abs}: ${code === 'ENOENT' ? 'no such file' : String(code)}`, {
      hint: 'give the path of a bundle.yaml (see bundles/demo/bundle.yaml for an example)',
    });
  });
  return { spec: parseBundleSpec(text, abs), path: abs, dir: dirname(abs) };
}

/** parseBundleSpec validates spec text; `file` is used in messages. Pure. */
export function parseBundleSpec(text: string, file: string): BundleSpec {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const lines = doc.errors.map((e) => {
      const pos = e.linePos?.[0];
      return `${file}:${pos?.line ?? 1}:${pos?.col ?? 1}: ${e.message.split('\n')[0]}`;
    });
    throw new AirbundleError('SPEC_SYNTAX', `${file} is not valid YAML:\n  ${lines.join('\n  ')}`, { hint: 'fix the YAML at the line shown' });
  }
  const value: unknown = doc.toJS();
  if (value === null || value === undefined) {
    throw new AirbundleError('SPEC_INVALID', `${file} is empty`, { hint: 'a spec needs at least apiVersion, kind and metadata (see bundles/demo/bundle.yaml)' });
  }
  const validate = specValidate();
  const problems: SpecProblem[] = [];
  const place = (path: Array<string | number>, key?: string): { line: number; col: number } => {
    const offset = nodeOffset(doc, path, key);
    const p = lineCounter.linePos(offset);
    return { line: p.line, col: p.col };
  };
  if (!validate(value)) {
    for (const e of dedupe(validate.errors ?? [])) problems.push(problemFor(e, place));
  } else {
    problems.push(...semanticProblems(value, place));
  }
  if (problems.length > 0) {
    problems.sort((a, b) => a.line - b.line || a.col - b.col);
    const code: ErrorCode = problems.some((p) => p.unknownField === true) ? 'SPEC_UNKNOWN_FIELD' : 'SPEC_INVALID';
    const lines = problems.map((p) => `${file}:${p.line}:${p.col}: ${p.field}: ${p.message}`);
    throw new AirbundleError(code, `${file} has ${problems.length === 1 ? 'a problem' : `${problems.length} problems`}:\n  ${lines.join('\n  ')}`, {
      hint: 'the accepted fields are in schemas/bundle-spec.schema.json',
      details: { problems },
    });
  }
  return value as BundleSpec;
}

type Place = (path: Array<string | number>, key?: string) => { line: number; col: number };

function problemFor(e: ErrorObject, place: Place): SpecProblem {
  const path = pointerToPath(e.instancePath);
  if (e.keyword === 'additionalProperties') {
    const field = String((e.params as { additionalProperty: string }).additionalProperty);
    const known = Object.keys((e.parentSchema as { properties?: Record<string, unknown> } | undefined)?.properties ?? {});
    const guess = nearest(field, known);
    return {
      ...place(path, field),
      field: fieldName([...path, field]),
      message: `unknown field "${field}"${guess !== undefined ? `; did you mean "${guess}"?` : `; known fields here: ${known.join(', ')}`}`,
      unknownField: true,
    };
  }
  if (e.keyword === 'required') {
    const missing = String((e.params as { missingProperty: string }).missingProperty);
    return { ...place(path), field: fieldName(path), message: `the required field "${missing}" is missing` };
  }
  const schema = e.parentSchema as { description?: string; const?: unknown; enum?: unknown[] } | undefined;
  let message = e.message ?? 'is invalid';
  if (e.keyword === 'const') message = `must be ${JSON.stringify(schema?.const)}`;
  if (e.keyword === 'enum') message = `must be one of ${(schema?.enum ?? []).map((v) => JSON.stringify(v)).join(', ')}`;
  if (e.keyword === 'pattern') message = `${JSON.stringify(e.data)} is not valid${schema?.description !== undefined ? `: ${schema.description}` : ` (must match ${String((e.params as { pattern: string }).pattern)})`}`;
  return { ...place(path), field: fieldName(path), message };
}

/** What to say of a source carrying `user:password@`: the spec is copied into bundle.json, so it must hold no secret. */
const CREDENTIALS_IN_SOURCE =
  'carries credentials (user:password@), which would be copied into bundle.json; remove them: registries take --username with --password-stdin (or docker login), the Hub takes HF_TOKEN';

/** The schemes a model source may use (sources/resolve.ts dispatches on them). */
const MODEL_SCHEMES = ['hf', 'file', 'https', 'http', 'oci', 'ollama'];

/**
 * semanticProblems checks what the schema cannot: unique names, source schemes we can read (so a typo is found
 * before anything is downloaded), pins in URLs, sizes.
 */
function semanticProblems(spec: BundleSpec, place: Place): SpecProblem[] {
  const out: SpecProblem[] = [];
  const seen = new Map<string, number>();
  (spec.models ?? []).forEach((m, i) => {
    const prev = seen.get(m.name);
    if (prev !== undefined) out.push({ ...place(['models', i, 'name']), field: `models[${i}].name`, message: `"${m.name}" is already the name of models[${prev}]` });
    seen.set(m.name, i);
    if (hasUserinfo(m.source)) out.push({ ...place(['models', i, 'source']), field: `models[${i}].source`, message: CREDENTIALS_IN_SOURCE });
    const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(m.source)?.[1];
    if (scheme === undefined || !MODEL_SCHEMES.includes(scheme)) {
      const shown = JSON.stringify(withoutUserinfo(m.source));
      const what = scheme === undefined ? `${shown} has no scheme` : `the scheme "${scheme}:" of ${shown} is not one airbundle reads`;
      out.push({ ...place(['models', i, 'source']), field: `models[${i}].source`, message: `${what}; use ${MODEL_SCHEMES.map((x) => `${x}://`).join(', ')}` });
    }
    const pin = /#sha256=(.*)$/.exec(m.source)?.[1];
    if (pin !== undefined && !/^[a-f0-9]{64}$/.test(pin)) {
      out.push({ ...place(['models', i, 'source']), field: `models[${i}].source`, message: `the sha256 pin "${pin}" is not 64 lower-case hex digits` });
    }
    if (/^https?:/.test(m.source) && pin !== undefined && m.sha256 !== undefined && pin !== m.sha256) {
      out.push({ ...place(['models', i, 'sha256']), field: `models[${i}].sha256`, message: 'differs from the #sha256= pin in the source URL' });
    }
  });
  (spec.images ?? []).forEach((img, i) => {
    if (hasUserinfo(img.source)) out.push({ ...place(['images', i, 'source']), field: `images[${i}].source`, message: CREDENTIALS_IN_SOURCE });
    // A bare reference has no "://" (registry.local:5000/x:1 is a host and port, not a scheme).
    const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//.exec(img.source)?.[1];
    if (scheme !== undefined && scheme !== 'oci') {
      out.push({
        ...place(['images', i, 'source']),
        field: `images[${i}].source`,
        message: `the scheme "${scheme}://" of ${JSON.stringify(withoutUserinfo(img.source))} is not one airbundle reads; use an image reference (registry/repo:tag), oci://HOST/REPO:TAG or oci-layout:PATH:TAG`,
      });
    }
  });
  const chunk = spec.options?.chunkSize;
  if (chunk !== undefined) {
    const m = /^(\d+)\s*([KMG]?)i?B?$/i.exec(String(chunk));
    const bytes = m === null ? NaN : Number(m[1]) * ({ '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3 }[m[2]!.toUpperCase()] ?? NaN);
    if (!(bytes >= 1024 * 1024)) out.push({ ...place(['options', 'chunkSize']), field: 'options.chunkSize', message: `"${chunk}" is not a size of at least 1M` });
  }
  return out;
}

/** dedupe drops errors that only restate another (ajv reports `if`/type noise per branch). */
function dedupe(errors: ErrorObject[]): ErrorObject[] {
  const seen = new Set<string>();
  return errors.filter((e) => {
    const key = `${e.instancePath}|${e.keyword}|${JSON.stringify(e.params)}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function pointerToPath(pointer: string): Array<string | number> {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

function fieldName(path: Array<string | number>): string {
  if (path.length === 0) return '(top level)';
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');
}

/** nodeOffset finds where a value (or, with `key`, a key of a map) starts in the source text. */
function nodeOffset(doc: Document, path: Array<string | number>, key?: string): number {
  const node = (path.length === 0 ? doc.contents : doc.getIn(path, true)) as Node | null | undefined;
  if (key !== undefined && isMap(node)) {
    for (const item of node.items) {
      if (isPair(item) && isScalar(item.key) && String(item.key.value) === key) return item.key.range?.[0] ?? 0;
    }
  }
  if (node !== null && node !== undefined && node.range !== undefined && node.range !== null) return node.range[0];
  // A value that is not in the text (e.g. a missing field): fall back to the parent.
  return path.length > 0 ? nodeOffset(doc, path.slice(0, -1)) : 0;
}
