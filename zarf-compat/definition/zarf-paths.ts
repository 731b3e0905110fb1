/**
 * Path rules of Zarf's compose step: resource paths of an imported component are rebased onto the importing
 * definition's directory, URLs and absolute paths are left alone, and paths always use forward slashes (Zarf
 * checks that a composed package has no backslashes, so it is the same on every build host).
 * Reference: zarf-dev/zarf src/pkg/packager/load/import.go (`makePathRelativeTo`, `fixPaths`).
 */
import { posix } from 'node:path';

/** isUrl tells a `scheme://host…` source (https, oci, git…) from a local path, as Zarf's `helpers.IsURL`. */
export function isUrl(value: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\/[^/]/i.test(value);
}

/** makePathRelativeTo joins `relativeTo` before a local relative path (cleaning `a/../b`); URLs and absolute paths are kept. */
export function makePathRelativeTo(path: string, relativeTo: string): string {
  if (isUrl(path) || posix.isAbsolute(path)) return path;
  return posix.join(relativeTo.replaceAll('\\', '/'), path.replaceAll('\\', '/'));
}

/** dedupePaths keeps the first occurrence of each path, in order. */
export function dedupePaths(paths: string[]): string[] {
  return [...new Set(paths)];
}
