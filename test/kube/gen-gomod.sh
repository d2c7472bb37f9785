#!/usr/bin/env bash
# Regenerates test/kube/gomod/go.mod for kube-apiserver + etcd at Kubernetes version $1
# (e.g. 1.36.3). k8s.io/kubernetes pins its staging modules to v0.0.0 through `replace`
# lines that a dependency's go.mod cannot pass on, so we repeat them with real versions.
set -euo pipefail
V=$1
cd "$(dirname "$0")/gomod"
export GOWORK=off
gomod=$(cd "$(mktemp -d)" && go mod download -json "k8s.io/kubernetes@v$V" \
        | node -pe 'JSON.parse(require("fs").readFileSync(0,"utf8")).GoMod')
cat > go.mod <<MOD
module dkpfleet.test/kubebins

go 1.25.0

tool (
	go.etcd.io/etcd/server/v3
	k8s.io/kubernetes/cmd/kube-apiserver
)
MOD
go mod edit -json "$gomod" | node -e '
  const m = JSON.parse(require("fs").readFileSync(0, "utf8"));
  for (const r of m.Replace ?? []) if (r.New.Path.startsWith("./staging/"))
    console.log(`-replace=${r.Old.Path}=${r.Old.Path}@v0.${process.argv[1]}`);' "${V#1.}" \
  | xargs go mod edit
go mod edit -require="k8s.io/kubernetes@v$V"
GOFLAGS=-mod=mod go mod tidy
