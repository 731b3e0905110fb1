import { isAbsolute, relative, resolve, sep } from 'node:path';
import { AirbundleError } from '../errors.js';

/**
 * Control characters (and DEL) are refused in every path we write: they would break the line-based lists the
 * in-pod scripts read, and no model file needs them.
 */
const CONTROL_RE = /[\u0000-\u001f\u007f]/;

/**
 * safeRelativePath checks a path taken from an artifact (a ModelPack `org.cncf.model.filepath`, an Ollama name
 * part) and returns it normalised (`/`-separated, no `.` segments). It throws PATH_ESCAPE naming the path when
 * it is absolute, has a `..` segment, a backslash, a drive letter or a control character, or is empty: such a
 * path could land outside the target directory (or, on the pod side, confuse the scripts).
 */
export function safeRelativePath(path: string, what = 'path'): string {
  const fail = (why: string): never => {
    throw new AirbundleError('PATH_ESCAPE', `${what} ${JSON.stringify(path)} ${why}`, {
      hint: 'the artifact names a file outside the target directory; it was not written. Rebuild the bundle from a clean source.',
      details: { path },
    });
  };
  if (path === '') fail('is empty');
  if (CONTROL_RE.test(path)) fail('contains a control character');
  if (path.includes('\\')) fail('contains a backslash');
  if (path.startsWith('/') || /^[A-Za-z]:/.test(path)) fail('is absolute');
  const segments = path.split('/').filter((s) => s !== '' && s !== '.');
  if (segments.includes('..')) fail('has a ".." segment');
  if (segments.length === 0) fail('names no file');
  return segments.join('/');
}

/** safeSegment checks one path segment (a host, namespace, model or tag name): no `/`, not `.` or `..`. */
export function safeSegment(segment: string, what: string): string {
  if (segment.includes('/') || segment === '.' || segment === '..') {
    throw new AirbundleError('PATH_ESCAPE', `${what} ${JSON.stringify(segment)} is not a single path segment`, { details: { path: segment } });
  }
  return safeRelativePath(segment, what);
}

/**
 * resolveInside joins a safe relative path to `root` and checks, once more and lexically, that the result is
 * strictly inside `root` (defence in depth: symlinks already on disk are checked by the writer).
 */
export function resolveInside(root: string, path: string): string {
  const full = resolve(root, path);
  const rel = relative(resolve(root), full);
  if (rel === '' || rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) {
    throw new AirbundleError('PATH_ESCAPE', `path ${JSON.stringify(path)} escapes ${root}`, { details: { path } });
  }
  return full;
}
