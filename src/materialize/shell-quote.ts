/** shQuote quotes a string for POSIX sh as one word: inside single quotes, with `'` written as `'\''`. */
export function shQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}
