/**
 * canonicalJson serialises a JSON value with object keys sorted at every level, two-space indentation and a
 * trailing newline. Same value → same bytes, which is what reproducible bundles and signatures need.
 */
export function canonicalJson(value: unknown): string {
  return `${JSON.stringify(sortKeys(value), null, 2)}\n`;
}

/** canonicalJsonCompact is {@link canonicalJson} without whitespace, for manifests and configs whose digest matters. */
export function canonicalJsonCompact(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[key];
      if (v !== undefined) out[key] = sortKeys(v);
    }
    return out;
  }
  return value;
}
