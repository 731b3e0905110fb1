/**
 * Strict base64 (RFC 4648 §4, with padding): Node's decoder skips characters outside the alphabet and stops at the
 * first `=`, so many texts decode to the same bytes. Where the text is part of what is checked (signatures), only
 * the one canonical encoding of the bytes is accepted: a changed byte is then always a refused byte.
 */

/** decodeStrictBase64 returns the bytes of canonical padded base64, or undefined for any other text. */
export function decodeStrictBase64(text: string): Buffer | undefined {
  if (text.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(text)) return undefined;
  const bytes = Buffer.from(text, 'base64');
  return bytes.toString('base64') === text ? bytes : undefined;
}
