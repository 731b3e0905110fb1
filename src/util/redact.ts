/**
 * Credentials written into a URL or an image reference (`https://user:secret@host/…`, `user:secret@host/repo`) are
 * refused where they are found, but the refusal must not print them: these helpers find and mask the userinfo.
 */

const SCHEME_RE = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//;
/** A digest after `@` (`algorithm:hex`, at least 128 bits), as in `repo:tag@sha256:…`: not a host. */
const DIGEST_RE = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-fA-F0-9]{32,}$/;

/** split cuts `text` into its scheme (with `://`, or ''), its authority (up to the first `/`) and the rest. */
function split(text: string): { scheme: string; authority: string; path: string } {
  const scheme = SCHEME_RE.exec(text)?.[0] ?? '';
  const rest = text.slice(scheme.length);
  const slash = rest.indexOf('/');
  return { scheme, authority: slash < 0 ? rest : rest.slice(0, slash), path: slash < 0 ? '' : rest.slice(slash) };
}

/** userinfoEnd is where the userinfo of an authority ends (its last `@`), or -1 when the `@` introduces a digest. */
function userinfoEnd(authority: string): number {
  const at = authority.lastIndexOf('@');
  return at >= 0 && !DIGEST_RE.test(authority.slice(at + 1)) ? at : -1;
}

/**
 * hasUserinfo tells whether a URL or reference carries `user[:password]@` before its host: `scheme://user@host…`,
 * or `user:pw@host/repo` (without a scheme, a path must follow: `name@…` alone is a reference with a digest).
 */
export function hasUserinfo(text: string): boolean {
  const { scheme, authority, path } = split(text);
  return userinfoEnd(authority) >= 0 && (scheme !== '' || path !== '');
}

/** withoutUserinfo returns `text` with what precedes the host's `@` replaced by `***`, for messages. */
export function withoutUserinfo(text: string): string {
  const { scheme, authority, path } = split(text);
  const at = userinfoEnd(authority);
  return at < 0 ? text : `${scheme}***${authority.slice(at)}${path}`;
}
