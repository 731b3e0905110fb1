/**
 * Parsing of `WWW-Authenticate` challenges (RFC 9110 §11.6.1): `Bearer realm="…",service="…",scope="…"` from token
 * registries, `Basic realm="…"` from htpasswd registries and zot. Only the first challenge is used, as Docker does.
 * Reference: https://distribution.github.io/distribution/spec/auth/token/ ("How to authenticate").
 */

/** Challenge is an auth scheme (lowercase) and its parameters (lowercase names). */
export interface Challenge {
  scheme: 'basic' | 'bearer' | string;
  params: Record<string, string>;
}

/** parseChallenge parses the first challenge of a `WWW-Authenticate` header, or returns undefined. */
export function parseChallenge(header: string | undefined): Challenge | undefined {
  if (header === undefined) return undefined;
  const text = header.trim();
  const m = /^([A-Za-z][A-Za-z0-9._~+/-]*)\s*/.exec(text);
  if (m === null) return undefined;
  const scheme = (m[1] ?? '').toLowerCase();
  const params: Record<string, string> = {};
  let i = m[0].length;
  while (i < text.length) {
    const nameMatch = /^\s*,?\s*([A-Za-z0-9._~+/-]+)\s*=\s*/.exec(text.slice(i));
    if (nameMatch === null) break;
    const name = (nameMatch[1] ?? '').toLowerCase();
    i += nameMatch[0].length;
    let value = '';
    if (text[i] === '"') {
      i += 1;
      while (i < text.length && text[i] !== '"') {
        if (text[i] === '\\' && i + 1 < text.length) i += 1;
        value += text[i];
        i += 1;
      }
      i += 1;
    } else {
      const tok = /^[^,\s]*/.exec(text.slice(i));
      value = tok?.[0] ?? '';
      i += value.length;
    }
    // A second challenge starts with a scheme that has no "=": stop at the first one.
    if (!(name in params)) params[name] = value;
    const after = /^\s*,\s*([A-Za-z0-9._~+/-]+)(\s*=)?/.exec(text.slice(i));
    if (after !== null && after[2] === undefined) break;
  }
  return { scheme, params };
}
