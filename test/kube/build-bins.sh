#!/usr/bin/env bash
# Builds kube-apiserver and etcd from the Go module proxy (versions pinned by gomod/go.mod and
# go.sum) into a per-machine cache keyed by version, Go version and recipe, then prints the
# directory holding both binaries. Reused when already built. Progress goes to stderr.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
mod="$here/gomod"
export GOWORK=off CGO_ENABLED=0 GOFLAGS=-mod=readonly
command -v go >/dev/null || { echo "build-bins: no Go toolchain on PATH" >&2; exit 3; }
V=$(go mod edit -json "$mod/go.mod" | node -e '
  const m = JSON.parse(require("fs").readFileSync(0, "utf8"));
  console.log(m.Require.find((r) => r.Path === "k8s.io/kubernetes").Version)')
root="${KUBE_BIN_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/dkp-fleet/kube-bins}"
key=$(cat "$mod/go.mod" "$mod/go.sum" "$0" | sha256sum | cut -c1-12)
out="$root/$V-$(go env GOVERSION)-$key"
mkdir -p "$root"
exec 9>"$root/lock"
flock 9 # one builder per machine
if [ ! -x "$out/etcd" ] || [ ! -x "$out/kube-apiserver" ]; then
  echo "build-bins: building kube-apiserver $V and etcd into $out (cold build: several minutes)" >&2
  start=$(date +%s)
  tmp=$(mktemp -d "$root/tmp.XXXXXX")
  trap 'rm -rf "$tmp"' EXIT
  cd "$mod"
  minor=${V#v1.}; minor=${minor%%.*}
  ld="-s -w"
  for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ld+=" -X $p.gitVersion=$V -X $p.gitMajor=1 -X $p.gitMinor=$minor -X $p.gitTreeState=clean"
  done
  go build -trimpath -tags=selinux,notest,grpcnotrace -ldflags="$ld" -o "$tmp/kube-apiserver" \
    k8s.io/kubernetes/cmd/kube-apiserver
  go build -trimpath -ldflags="-s -w" -o "$tmp/etcd" go.etcd.io/etcd/server/v3
  "$tmp/kube-apiserver" --version >&2
  "$tmp/etcd" --version | head -1 >&2
  mv "$tmp" "$out"
  trap - EXIT
  echo "build-bins: built in $(( $(date +%s) - start ))s" >&2
fi
echo "$out"
