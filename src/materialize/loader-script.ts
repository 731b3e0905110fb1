import { DONE_FILE, MATERIALIZED_FILE, STAGING_DIR } from './marker-files.js';
import { STREAM_ENTRIES } from './file-tar-stream.js';

/**
 * loaderScript is the in-pod half of the stream transport: a busybox sh script, run as
 * `sh -c "$SCRIPT" sh DIR` with the PVC mounted at DIR and the tar of createFileTarStream on stdin. It extracts
 * the tar into a staging directory inside DIR (same filesystem, so moves are renames), checks every entry with
 * `sha256sum -c` before moving anything, removes `.done`, moves each file to its place, and writes
 * `.airbundle-materialized.json` and then `.done` last, syncing in between. Any failure leaves the files
 * already in place untouched and no `.done`; the staging directory is cleared by the next run.
 */
export function loaderScript(): string {
  const { sums, places, manifest, done } = STREAM_ENTRIES;
  return `set -eu
DEST=\${1:?usage: sh -c SCRIPT sh TARGET_DIR < stream.tar}
case "$DEST" in /*) ;; *) DEST="$(pwd)/$DEST" ;; esac
STAGE="$DEST/${STAGING_DIR}"
fail() { echo "airbundle-loader: $*" >&2; exit 1; }
flush() { sync -f "$DEST" 2>/dev/null || sync; }
rm -rf "$STAGE"
mkdir -p "$STAGE"
tar -x -f - -C "$STAGE" || fail "the stream was cut or is damaged; nothing was moved into place"
cd "$STAGE"
for f in ${sums} ${places} ${manifest} ${done}; do [ -f "$f" ] || fail "the stream has no $f: not an airbundle materialize stream"; done
if ! out=$(sha256sum -c ${sums} 2>&1); then
  printf '%s\\n' "$out" | grep -v ': OK$' >&2 || true
  fail "checksum mismatch; nothing was moved into place"
fi
flush
rm -f "$DEST/${DONE_FILE}"
n=0
while IFS= read -r line; do
  name=\${line%% *}
  path=\${line#* }
  case "/$path/" in //*|*/../*|*/./*) fail "refusing unsafe path $path";; esac
  [ -d "$DEST/$path" ] && [ ! -L "$DEST/$path" ] && fail "$path is a directory in the target"
  mkdir -p "$(dirname "$DEST/$path")"
  mv -f -T "$name" "$DEST/$path"
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
