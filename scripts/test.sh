#!/usr/bin/env bash
# The whole test suite, on a fresh machine: installs what the tests need (Debian's docker-registry, skopeo,
# busybox, zstd; npm dependencies), builds, runs vitest, and ends with a line "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."

missing=()
for pair in skopeo:skopeo zstd:zstd busybox:busybox registry:docker-registry tar:tar curl:curl; do
  bin=${pair%%:*} pkg=${pair#*:}
  if [ "$bin" = registry ]; then
    [ -x /usr/bin/docker-registry ] || missing+=("$pkg")
  else
    command -v "$bin" >/dev/null 2>&1 || missing+=("$pkg")
  fi
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "test: installing ${missing[*]} (Debian packages)" >&2
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >&2 \
    || echo "test: could not install ${missing[*]}; tests that need them will fail" >&2
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund >&2 || { echo "0 passed, 1 failed"; exit 1; }
fi
npm run --silent build >&2 || { echo "build failed"; echo "0 passed, 1 failed"; exit 1; }

results=$(mktemp)
npx vitest run --reporter=default --reporter=json --outputFile="$results" "$@"
rc=$?
node -e '
  const fs = require("fs");
  let r = {};
  try { r = JSON.parse(fs.readFileSync(process.argv[1], "utf8")); } catch {}
  // A file that fails before its tests run (import error) counts as one failure.
  const broken = (r.testResults ?? []).filter((f) => f.status === "failed" && (f.assertionResults ?? []).length === 0).length;
  const passed = r.numPassedTests ?? 0, failed = (r.numFailedTests ?? 0) + broken + (r.testResults ? 0 : 1);
  const skipped = (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
  console.log(`${passed} passed, ${failed} failed` + (skipped ? `, ${skipped} skipped` : ""));
' "$results"
rm -f "$results"
exit $rc
