import { digestHex, sha256Digest } from '../content/digest.js';
import { AirbundleError } from '../errors.js';
import type { MaterializePlan } from './materialize-plan.js';
import { DONE_FILE, MATERIALIZED_FILE, partialNameFor } from './marker-files.js';
import { shQuote } from './shell-quote.js';

/** PullScriptOptions say where the in-cluster registry holds the artifact's blobs. */
export interface PullScriptOptions {
  /** `host[:port]` of the in-cluster registry. */
  registry: string;
  /** Repository the artifact was pushed to (e.g. `models/tiny-llm`, with any push prefix). */
  repository: string;
  /** Talk HTTP instead of HTTPS. */
  plainHttp?: boolean;
  /**
   * Basic credentials written into the script. Without them the script still sends
   * `Authorization: Basic $AIRBUNDLE_BASIC_AUTH` when that variable is set (base64 of `user:password`, e.g. from
   * a Secret), which keeps credentials out of the script.
   */
  basicAuth?: { username: string; password: string };
}

/**
 * pullScript renders the in-cluster pull transport: a busybox sh script, run as `sh SCRIPT DIR` (or
 * `sh -c "$SCRIPT" sh DIR`) in a Job with the PVC at DIR, that fetches each blob file from
 * `/v2/<repository>/blobs/<digest>` with `wget` (resuming a partial download with `-c`), checks it with
 * `sha256sum`, and only then renames it to its final name; small generated files (refs, the Ollama manifest)
 * are inside the script. `.airbundle-materialized.json` and `.done` are written last. A file already in
 * place with the right digest is kept; a complete target (`.done` matches, every file has its size) is left
 * alone. A blob that does not match its digest fails the script and is deleted: no final name ever holds it.
 * Reference: https://github.com/opencontainers/distribution-spec/blob/v1.1.0/spec.md#pulling-blobs
 */
export function pullScript(plan: MaterializePlan, options: PullScriptOptions): string {
  if (!/^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(:\d{1,5})?$/.test(options.registry)) {
    throw new AirbundleError('USAGE', `registry ${JSON.stringify(options.registry)} is not host[:port]`);
  }
  if (!/^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/.test(options.repository)) {
    throw new AirbundleError('USAGE', `repository ${JSON.stringify(options.repository)} is not a valid repository name`);
  }
  const base = `${options.plainHttp === true ? 'http' : 'https'}://${options.registry}/v2/${options.repository}/blobs`;
  const auth = options.basicAuth === undefined ? '' : Buffer.from(`${options.basicAuth.username}:${options.basicAuth.password}`).toString('base64');
  const manifestHex = digestHex(sha256Digest(plan.manifest));
  const lines: string[] = [
    'set -eu',
    'DEST=${1:?usage: sh pull.sh TARGET_DIR}',
    `BASE=${shQuote(base)}`,
    `AUTH=\${AIRBUNDLE_BASIC_AUTH-${shQuote(auth)}}`,
    'written=0',
    'kept=0',
    'fail() { echo "airbundle-pull: $*" >&2; exit 1; }',
    'flush() { sync -f "$DEST" 2>/dev/null || sync; }',
    'size() { wc -c < "$1" | tr -d " "; }',
    'hex() { h=$(sha256sum < "$1") && echo "${h%% *}"; }',
    // good PATH HEX SIZE: a regular file (not a symlink) with that size and digest.
    'good() { [ -f "$1" ] && [ ! -L "$1" ] && [ "$(size "$1")" = "$3" ] && [ "$(hex "$1")" = "$2" ]; }',
    'sized() { [ -f "$DEST/$1" ] && [ ! -L "$DEST/$1" ] && [ "$(size "$DEST/$1")" = "$2" ]; }',
    'get() { if [ -n "$AUTH" ]; then wget -q -c -O "$2" --header "Authorization: Basic $AUTH" "$1"; else wget -q -c -O "$2" "$1"; fi; }',
    'prepare() {',
    '  f="$DEST/$1"; p="$DEST/$2"',
    '  [ -d "$f" ] && [ ! -L "$f" ] && fail "$1 is a directory in the target"',
    '  mkdir -p "$(dirname "$f")"',
    '}',
    'place() { sync "$p" 2>/dev/null || true; mv -f -T "$p" "$f"; written=$((written + 1)); }',
    // blob PATH PARTIAL HEX SIZE: fetch from the registry into PARTIAL (resuming), verify, rename.
    'blob() {',
    '  prepare "$1" "$2"',
    '  if good "$f" "$3" "$4"; then kept=$((kept + 1)); rm -f "$p"; return 0; fi',
    '  resumed=no',
    '  if [ -f "$p" ] && [ ! -L "$p" ] && [ "$(size "$p")" -le "$4" ]; then resumed=yes; else rm -rf "$p"; fi',
    '  if [ "$(size "$p" 2>/dev/null || echo 0)" != "$4" ]; then get "$BASE/sha256:$3" "$p" || { rm -f "$p"; fail "$1: download of sha256:$3 failed"; }; fi',
    '  if [ "$(hex "$p")" != "$3" ] && [ "$resumed" = yes ]; then',
    '    rm -f "$p"',
    '    get "$BASE/sha256:$3" "$p" || { rm -f "$p"; fail "$1: download of sha256:$3 failed"; }',
    '  fi',
    '  [ "$(hex "$p")" = "$3" ] || { rm -f "$p"; fail "$1: the registry sent content that does not match sha256:$3; it was deleted, nothing was put in place"; }',
    '  place',
    '}',
    // inline PATH PARTIAL HEX SIZE BASE64: a small generated file carried in the script.
    'inline() {',
    '  prepare "$1" "$2"',
    '  if good "$f" "$3" "$4"; then kept=$((kept + 1)); return 0; fi',
    '  printf %s "$5" | base64 -d > "$p"',
    '  [ "$(hex "$p")" = "$3" ] || { rm -f "$p"; fail "$1: the script is damaged (digest mismatch)"; }',
    '  place',
    '}',
    // mark PATH PARTIAL HEX SIZE BASE64: a marker file, written whatever is there.
    'mark() {',
    '  prepare "$1" "$2"',
    '  printf %s "$5" | base64 -d > "$p"',
    '  [ "$(hex "$p")" = "$3" ] || { rm -f "$p"; fail "$1: the script is damaged (digest mismatch)"; }',
    '  sync "$p" 2>/dev/null || true',
    '  mv -f -T "$p" "$f"',
    '}',
    'complete() {',
    `  [ -f "$DEST/${DONE_FILE}" ] && [ "$(cat "$DEST/${DONE_FILE}")" = ${shQuote(plan.done.toString('utf8').trim())} ] || return 1`,
    `  [ -f "$DEST/${MATERIALIZED_FILE}" ] && [ "$(hex "$DEST/${MATERIALIZED_FILE}")" = ${manifestHex} ] || return 1`,
    ...plan.files.map((f) => `  sized ${shQuote(f.path)} ${f.size} || return 1`),
    '}',
    `if complete; then echo "airbundle-pull: ${plan.files.length} files already in place in $DEST"; exit 0; fi`,
    `rm -f "$DEST/${DONE_FILE}"`,
    'flush',
  ];
  for (const f of plan.files) {
    const args = `${shQuote(f.path)} ${shQuote(partialNameFor(f.path))} ${digestHex(f.digest)} ${f.size}`;
    if (f.source.kind === 'inline') lines.push(`inline ${args} ${shQuote(f.source.bytes.toString('base64'))}`);
    else lines.push(`blob ${args}`);
  }
  lines.push('flush');
  const marker = (name: string, bytes: Buffer): string =>
    `mark ${shQuote(name)} ${shQuote(partialNameFor(name))} ${digestHex(sha256Digest(bytes))} ${bytes.length} ${shQuote(bytes.toString('base64'))}`;
  lines.push(marker(MATERIALIZED_FILE, plan.manifest), 'flush', marker(DONE_FILE, plan.done), 'flush');
  lines.push(`echo "airbundle-pull: $written files written, $kept already in place in $DEST"`);
  return `${lines.join('\n')}\n`;
}
