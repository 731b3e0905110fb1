/**
 * The integrity chain of a Zarf package, checked while it streams past: `metadata.aggregateChecksum` in zarf.yaml
 * is the sha256 of `checksums.txt`, which lists `<sha256> <path>` for every other file. Every listed file must be
 * there with that hash; a file not listed (other than zarf.yaml, checksums.txt, the signatures and the signed
 * `build.provenanceFiles`) is refused, like a missing one. When a file and its line disagree, either may be the
 * one changed: a blob is judged at once (its name is its digest, a second witness), any other file at the end,
 * once checksums.txt itself has been checked against the aggregate checksum, so the file named is the one changed.
 * Reference: zarf-dev/zarf src/pkg/packager/layout/package.go (validatePackageIntegrity),
 * src/pkg/packager/assemble/assemble.go (getChecksum).
 */
import { createHash } from 'node:crypto';
import { AirbundleError } from '../../src/errors.js';

/** Files outside checksums.txt by design. */
export const UNLISTED_FILES: ReadonlySet<string> = new Set(['zarf.yaml', 'checksums.txt', 'zarf.yaml.sig', 'zarf.bundle.sig']);

/** parseChecksums reads checksums.txt into path → sha256 hex. */
export function parseChecksums(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const [i, line] of text.split('\n').entries()) {
    if (line.trim() === '') continue;
    const space = line.indexOf(' ');
    const hex = line.slice(0, space);
    const path = line.slice(space + 1).trim();
    if (space < 0 || !/^[a-f0-9]{64}$/.test(hex) || path === '') {
      throw new AirbundleError('ZARF_PACKAGE_CORRUPT', `checksums.txt line ${i + 1} is not "<sha256> <path>": ${JSON.stringify(line.slice(0, 120))}`, { details: { file: 'checksums.txt' } });
    }
    if (out.has(path)) throw new AirbundleError('ZARF_PACKAGE_CORRUPT', `checksums.txt lists ${path} twice`, { details: { file: 'checksums.txt' } });
    out.set(path, hex);
  }
  return out;
}

/** sha256Hex hashes bytes. */
export function sha256Hex(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/** PackageIntegrity tracks the checks of one pass over a package. */
export class PackageIntegrity {
  readonly #pkg: string;
  #checksums: Map<string, string> | undefined;
  #checksumsHex: string | undefined;
  readonly #seen = new Map<string, string>();
  /** Files whose hash differs from their line, judged once checksums.txt is known to be genuine. */
  readonly #disputed: string[] = [];

  constructor(pkg: string) {
    this.#pkg = pkg;
  }

  /** checksumsRead records checksums.txt, and checks the files that came before it. */
  checksumsRead(bytes: Buffer): void {
    this.#checksumsHex = sha256Hex(bytes);
    this.#checksums = parseChecksums(bytes.toString('utf8'));
    for (const [name, hex] of this.#seen) this.#check(name, hex, name.startsWith('images/blobs/sha256/'));
  }

  /**
   * fileRead records the sha256 of a file as read. `selfNamed` says the file is a blob whose content matches the
   * digest it is named by: then a disagreeing checksums.txt is the file that changed, and that is known at once.
   */
  fileRead(name: string, hex: string, selfNamed = false): void {
    this.#seen.set(name, hex);
    if (this.#checksums !== undefined) this.#check(name, hex, selfNamed);
  }

  #check(name: string, hex: string, selfNamed = false): void {
    if (UNLISTED_FILES.has(name)) return;
    const want = this.#checksums!.get(name);
    if (want === undefined || want === hex) return; // unlisted files are judged at the end
    if (selfNamed) {
      throw new AirbundleError('ZARF_PACKAGE_CORRUPT', `${this.#pkg}: checksums.txt says ${name} has sha256 ${want}, but the blob matches the digest it is named by: checksums.txt was changed or damaged`, {
        hint: 'nothing was pushed or applied; get an undamaged copy of the package',
        details: { file: 'checksums.txt', expected: want, actual: hex },
      });
    }
    this.#disputed.push(name);
  }

  /**
   * finish checks what can only be checked at the end: checksums.txt against the aggregate checksum of zarf.yaml,
   * every listed file present, no unlisted file but the allowed ones.
   */
  finish(aggregate: string | undefined, provenanceFiles: string[], definitionSigned = false): void {
    if (this.#checksums === undefined) {
      throw new AirbundleError('ZARF_PACKAGE_CORRUPT', `${this.#pkg} has no checksums.txt: its files cannot be checked`, { details: { file: 'checksums.txt' } });
    }
    if (aggregate === undefined || aggregate === '') {
      throw new AirbundleError('ZARF_PACKAGE_CORRUPT', `${this.#pkg}: zarf.yaml has no aggregateChecksum: checksums.txt cannot be checked`, { details: { file: 'zarf.yaml' } });
    }
    if (aggregate !== this.#checksumsHex) {
      throw new AirbundleError('ZARF_PACKAGE_CORRUPT', `${this.#pkg}: checksums.txt has sha256 ${this.#checksumsHex}, but the ${definitionSigned ? 'signed ' : ''}aggregateChecksum in zarf.yaml is ${aggregate}: ${definitionSigned ? 'checksums.txt was changed' : 'checksums.txt or zarf.yaml was changed'}`, {
        hint: 'nothing was pushed or applied; get an undamaged copy of the package',
        details: { file: definitionSigned ? 'checksums.txt' : 'checksums.txt, zarf.yaml', expected: aggregate, actual: this.#checksumsHex },
      });
    }
    for (const name of this.#disputed) {
      const want = this.#checksums.get(name)!;
      const hex = this.#seen.get(name)!;
      throw new AirbundleError('ZARF_PACKAGE_CORRUPT', `${this.#pkg}: ${name} has sha256 ${hex}, but checksums.txt says ${want}: the file was changed or damaged`, {
        hint: 'nothing was pushed or applied; get an undamaged copy of the package',
        details: { file: name, expected: want, actual: hex },
      });
    }
    for (const name of this.#checksums.keys()) {
      if (!this.#seen.has(name)) {
        throw new AirbundleError('ZARF_PACKAGE_CORRUPT', `${this.#pkg}: ${name} is listed in checksums.txt but missing from the package`, { details: { file: name } });
      }
    }
    const allowed = new Set([...UNLISTED_FILES, ...provenanceFiles]);
    for (const name of this.#seen.keys()) {
      if (!this.#checksums.has(name) && !allowed.has(name)) {
        throw new AirbundleError('ZARF_PACKAGE_CORRUPT', `${this.#pkg}: ${name} is not listed in checksums.txt: it was added after the package was made`, { details: { file: name } });
      }
    }
  }
}
