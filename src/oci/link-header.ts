/**
 * Pagination by `Link` header, as the distribution spec uses it for tag lists, the catalog and referrers:
 * `Link: </v2/_catalog?last=b&n=2>; rel="next"`. The target may be relative to the request URL.
 * Reference: https://www.rfc-editor.org/rfc/rfc8288; distribution-spec v1.1.1 "Listing Tags".
 */

/** nextLink returns the `rel="next"` target of a Link header resolved against `base`, or undefined. */
export function nextLink(header: string | undefined, base: URL): URL | undefined {
  if (header === undefined) return undefined;
  const re = /<([^>]*)>\s*((?:;\s*[^;,]+)*)/g;
  for (let m = re.exec(header); m !== null; m = re.exec(header)) {
    const params = m[2] ?? '';
    const rel = /;\s*rel\s*=\s*"?([^";]+)"?/i.exec(params)?.[1];
    if (rel !== undefined && rel.split(/\s+/).includes('next')) {
      try {
        return new URL(m[1] ?? '', base);
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}
