/**
 * Credentials written into a URL or an image reference (`https://user:secret@host/…`, `user:secret@host/repo`) are
 * refused where they are found, but the refusal must not print them: these helpers find and mask the userinfo.
 */

const SCHEME_RE = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//;

/**
 * hasUserinfo tells whether a URL or reference carries `user[:password]@` in its authority (before the first `/`
 * after any scheme). In `repo:tag@sha256:…` the `@` introduces a digest, not a host.
 */
export function hasUserinfo(text: string): boolean {
  const authority = text.replace(SCHEME_RE, '').split('/')[0] ?? '';
  const at = authority.lastIndexOf('@');
  return at >= 0 && !authority.slice(at + 1).startsWith('sha256:');
}

/** withoutUserinfo returns `text` with the userinfo of its authority replaced by `***`, for messages. */
export function withoutUserinfo(text: string): string {
  if (!hasUserinfo(text)) return text;
  const scheme = SCHEME_RE.exec(text)?.[0] ?? '';
  const rest = text.slice(scheme.length);
  const slash = rest.indexOf('/');
  const authority = slash < 0 ? rest : rest.slice(0, slash);
  return `${scheme}***${authority.slice(authority.lastIndexOf('@'))}${slash < 0 ? '' : rest.slice(slash)}`;
}
