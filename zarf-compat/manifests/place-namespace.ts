/**
 * placeInNamespace gives a namespace to the objects of a multi-document YAML text that name none, by inserting a
 * `namespace:` line under their top-level `metadata:`. The text is edited, not re-serialised, because Zarf
 * manifests may hold templates in positions that only make sense as text (a `###ZARF_VAR_X###` standing for
 * several lines of a mapping).
 */
import { parse } from 'yaml';
import { CLUSTER_SCOPED_KINDS } from './cluster-scoped.js';

/** Placed is the edited text and how many objects got the namespace, or could not. */
export interface Placed {
  text: string;
  placed: number;
  /** Objects without a namespace whose metadata is not a plain block mapping (left as they were). */
  failed: string[];
}

/** placeInNamespace inserts `namespace: NS` into each namespaced object without one. Pure. */
export function placeInNamespace(text: string, namespace: string): Placed {
  const lines = text.split('\n');
  const out: string[] = [];
  const result: Placed = { text, placed: 0, failed: [] };
  let start = 0;
  const flush = (end: number): void => {
    const doc = lines.slice(start, end);
    out.push(...placeOne(doc, namespace, result));
  };
  for (let i = 0; i < lines.length; i += 1) {
    if (/^---(\s|$)/.test(lines[i]!)) {
      flush(i);
      out.push(lines[i]!);
      start = i + 1;
    }
  }
  flush(lines.length);
  result.text = out.join('\n');
  return result;
}

function placeOne(doc: string[], namespace: string, result: Placed): string[] {
  let value: unknown;
  try {
    value = parse(doc.join('\n'));
  } catch {
    return doc;
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return doc;
  const obj = value as { kind?: unknown; metadata?: { name?: unknown; namespace?: unknown } };
  if (typeof obj.kind !== 'string' || CLUSTER_SCOPED_KINDS.has(obj.kind)) return doc;
  if (obj.metadata === undefined || obj.metadata === null || typeof obj.metadata !== 'object' || obj.metadata.namespace !== undefined) return doc;
  const at = doc.findIndex((l) => /^metadata:\s*(#.*)?$/.test(l));
  if (at < 0) {
    result.failed.push(`${obj.kind}/${String(obj.metadata.name)}`);
    return doc;
  }
  const next = doc.slice(at + 1).find((l) => l.trim() !== '' && !l.trim().startsWith('#'));
  const indent = next !== undefined ? (/^(\s+)/.exec(next)?.[1] ?? '  ') : '  ';
  result.placed += 1;
  return [...doc.slice(0, at + 1), `${indent}namespace: ${namespace}`, ...doc.slice(at + 1)];
}
