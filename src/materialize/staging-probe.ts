import { DONE_FILE, STAGING_DIR } from './marker-files.js';
import { STREAM_ENTRIES } from './file-tar-stream.js';

/**
 * StagingReport is what the staging probe found on a volume: the target is already complete (its `.done` is the
 * expected one), or which contents sit in the loader's staging directory, whole or in part, from a stream that
 * was cut. Contents are named by the hex of their sha256.
 */
export interface StagingReport {
  complete: boolean;
  /** Hex digests of staged files whose content matches their name: they need not be sent again. */
  staged: Set<string>;
  /** Staged files that do not match their name: how long they are and the sha256 hex of what they hold. */
  partial: Map<string, { size: number; sha256: string }>;
}

/**
 * stagingProbe is the first half of the stream transport (loaderScript is the second): a busybox sh script, run
 * as `sh -c "$PROBE" sh DIR DONE` with the PVC at DIR and DONE the expected first line of `.done`. It prints
 * `complete` when `.done` matches (and clears any staging directory left by a run killed after writing it).
 * Otherwise it hashes every content-addressed file (`<64 hex>`) of the staging directory and prints
 * `staged HEX` for those that match their name and `partial HEX SIZE SHA256` for the others (the file that was
 * in flight when the stream was cut); anything else in staging (temp copies, tails, foreign names) is removed,
 * while the metadata entries are left for the loader to replace. When there is no `.done`, a run may have been
 * killed while moving files into place: each content that the staged PLACES list moves (`mv`) and that is no
 * longer staged is looked for at its path, and moved back into staging when it holds exactly that content, so
 * nothing already placed is sent twice. The probe never touches any other file of the target.
 */
export function stagingProbe(): string {
  const { sums, places, append, manifest, done } = STREAM_ENTRIES;
  return `set -eu
DEST=\${1:?usage: sh -c PROBE sh TARGET_DIR EXPECTED_DONE}
WANT=\${2:?usage: sh -c PROBE sh TARGET_DIR EXPECTED_DONE}
case "$DEST" in /*) ;; *) DEST="$(pwd)/$DEST" ;; esac
STAGE="$DEST/${STAGING_DIR}"
hex() { h=$(sha256sum < "$1") && echo "\${h%% *}"; }
size() { stat -c %s "$1" 2>/dev/null || wc -c < "$1" | tr -d ' '; }
ishex() { [ \${#1} -eq 64 ] && case "$1" in *[!0-9a-f]*) return 1 ;; esac; }
if [ -f "$DEST/${DONE_FILE}" ] && [ "$(cat "$DEST/${DONE_FILE}")" = "$WANT" ]; then
  rm -rf "$STAGE"
  echo complete
  exit 0
fi
if [ -L "$STAGE" ] || { [ -e "$STAGE" ] && [ ! -d "$STAGE" ]; }; then rm -f "$STAGE"; fi
[ -d "$STAGE" ] || exit 0
cd "$STAGE"
ok=" "
for f in * .[!.]* ..?*; do
  if [ ! -e "$f" ] && [ ! -L "$f" ]; then continue; fi
  if [ -f "$f" ] && [ ! -L "$f" ] && ishex "$f"; then
    h=$(hex "$f")
    if [ "$h" = "$f" ]; then
      echo "staged $f"
      ok="$ok$f "
    else
      echo "partial $f $(size "$f") $h"
    fi
    continue
  fi
  case "$f" in
    ${sums}|${places}|${append}|${manifest}|${done}) [ -f "$f" ] && [ ! -L "$f" ] || rm -rf "$f" ;;
    *) rm -rf "$f" ;;
  esac
done
if [ ! -e "$DEST/${DONE_FILE}" ] && [ -f ${places} ]; then
  while IFS= read -r line; do
    op=\${line%% *}
    rest=\${line#* }
    name=\${rest%% *}
    path=\${rest#* }
    [ "$op" = mv ] && ishex "$name" || continue
    case "$ok" in *" $name "*) continue ;; esac
    case "/$path/" in //*|*/../*|*/./*) continue ;; esac
    t="$DEST/$path"
    if [ -f "$t" ] && [ ! -L "$t" ] && [ "$(hex "$t")" = "$name" ]; then
      mv -f -T "$t" "$name"
      echo "staged $name"
      ok="$ok$name "
    fi
  done < ${places}
fi
`;
}

const LINE_RE = /^(?:staged ([0-9a-f]{64})|partial ([0-9a-f]{64}) (\d+) ([0-9a-f]{64}))$/;

/** readStagingReport parses what stagingProbe printed; later lines win (a partial content restored from its place). */
export function readStagingReport(stdout: string): StagingReport {
  const report: StagingReport = { complete: false, staged: new Set(), partial: new Map() };
  for (const line of stdout.split('\n')) {
    if (line === 'complete') report.complete = true;
    const m = LINE_RE.exec(line);
    if (m === null) continue;
    if (m[1] !== undefined) {
      report.staged.add(m[1]);
      report.partial.delete(m[1]);
    } else if (m[2] !== undefined && !report.staged.has(m[2])) {
      report.partial.set(m[2], { size: Number(m[3]), sha256: m[4]! });
    }
  }
  return report;
}
