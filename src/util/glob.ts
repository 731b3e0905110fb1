/**
 * globToRegExp turns a path glob into a RegExp: `**` crosses directories, `*` and `?` stay within one,
 * `{a,b}` alternates. A pattern without `/` matches the base name anywhere (as .gitignore does).
 */
export function globToRegExp(glob: string): RegExp {
  let re = '';
  let i = 0;
  while (i < glob.length) {
    const c = glob[i] ?? '';
    if (c === '*') {
      if (glob[i + 1] === '*') {
        const slash = glob[i + 2] === '/';
        re += slash ? '(?:.*/)?' : '.*';
        i += slash ? 3 : 2;
        continue;
      }
      re += '[^/]*';
    } else if (c === '?') re += '[^/]';
    else if (c === '{') {
      const end = glob.indexOf('}', i);
      if (end > i) {
        re += `(?:${glob.slice(i + 1, end).split(',').map(escape).join('|')})`;
        i = end + 1;
        continue;
      }
      re += '\\{';
    } else re += escape(c);
    i += 1;
  }
  return new RegExp(glob.includes('/') ? `^${re}$` : `(?:^|/)${re}$`);
}

/** matchesFilters applies include globs (none means all) then exclude globs to a `/`-separated path. */
export function matchesFilters(path: string, include: string[] | undefined, exclude: string[] | undefined): boolean {
  if (include !== undefined && include.length > 0 && !include.some((g) => globToRegExp(g).test(path))) return false;
  return !(exclude ?? []).some((g) => globToRegExp(g).test(path));
}

function escape(s: string): string {
  return s.replace(/[.+^${}()|[\]\\]/g, '\\$&');
}
