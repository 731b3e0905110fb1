import { DONE_FILE, MATERIALIZED_FILE, STAGING_DIR } from './marker-files.js';
import { STREAM_ENTRIES } from './file-tar-stream.js';

/**
 * loaderScript is the in-pod half of the stream transport: a busybox sh script, run as
 * `sh -c "$SCRIPT" sh DIR` with the PVC mounted at DIR and the tar of createFileTarStream on stdin, after
 * stagingProbe said what the volume already holds. It extracts the tar into a staging directory inside DIR (same
 * filesystem, so moves are renames) next to the contents staged by earlier, interrupted runs, appends the tails
 * of contents that were staged in part, checks every content the plan needs and both markers with
 * `sha256sum -c` and every path before moving anything, removes `.done`, puts each file in place (a rename; a
 * copy first for each earlier path of the same content), and writes `.airbundle-materialized.json` and then
 * `.done` last, syncing in between. Staging is cleared only then. A run that fails or is cut leaves the files
 * already in place untouched, no `.done`, and every content it received whole in staging for the next run.
 */
export function loaderScript(): string {
  const { sums, places, append, manifest, done } = STREAM_ENTRIES;
  return `set -eu
DEST=\${1:?usage: sh -c SCRIPT sh TARGET_DIR < stream.tar}
case "$DEST" in /*) ;; *) DEST="$(pwd)/$DEST" ;; esac
STAGE="$DEST/${STAGING_DIR}"
fail() { echo "airbundle-loader: $*" >&2; exit 1; }
flush() { sync -f "$DEST" 2>/dev/null || sync; }
size() { stat -c %s "$1" 2>/dev/null || wc -c < "$1" | tr -d ' '; }
if [ -L "$STAGE" ] || { [ -e "$STAGE" ] && [ ! -d "$STAGE" ]; }; then rm -f "$STAGE"; fi
mkdir -p "$STAGE"
cd "$STAGE"
rm -f ${sums} ${places} ${append} ${manifest} ${done}
tar -x -f - || fail "the stream was cut or is damaged; nothing was moved into place (what arrived whole is kept for the next run)"
for f in ${sums} ${places} ${append} ${manifest} ${done}; do [ -f "$f" ] || fail "the stream has no $f: not an airbundle materialize stream"; done
while read -r name off; do
  case "$name" in *[!0-9a-f]*) fail "bad ${append} line: $name $off";; esac
  case "$off" in ''|*[!0-9]*) fail "bad ${append} line: $name $off";; esac
  [ \${#name} -eq 64 ] || fail "bad ${append} line: $name $off"
  [ -f "$name.$off" ] || fail "the stream has no $name.$off"
  [ -f "$name" ] && [ "$(size "$name")" = "$off" ] || fail "staged $name is no longer $off bytes long; run again"
  cat "$name.$off" >> "$name"
  rm -f "$name.$off"
done < ${append}
if ! out=$(sha256sum -c ${sums} 2>&1); then
  printf '%s\\n' "$out" | grep -v ': OK$' >&2 || true
  fail "checksum mismatch or missing content; nothing was moved into place (run again: what is staged whole is kept, the rest is sent again)"
fi
while IFS= read -r line; do
  rest=\${line#* }
  path=\${rest#* }
  case "/$path/" in //*|*/../*|*/./*) fail "refusing unsafe path $path";; esac
  if [ -d "$DEST/$path" ] && [ ! -L "$DEST/$path" ]; then fail "$path is a directory in the target"; fi
done < ${places}
flush
rm -f "$DEST/${DONE_FILE}"
n=0
while IFS= read -r line; do
  op=\${line%% *}
  rest=\${line#* }
  name=\${rest%% *}
  path=\${rest#* }
  mkdir -p "$(dirname "$DEST/$path")"
  if [ "$op" = cp ]; then
    cp "$name" .copy
    mv -f -T .copy "$DEST/$path"
  else
    mv -f -T "$name" "$DEST/$path"
  fi
  n=$((n + 1))
done < ${places}
flush
mv -f -T ${manifest} "$DEST/${MATERIALIZED_FILE}"
flush
mv -f -T ${done} "$DEST/${DONE_FILE}"
flush
cd /
rm -rf "$STAGE"
echo "airbundle-loader: $n files in place in $DEST"
`;
}
