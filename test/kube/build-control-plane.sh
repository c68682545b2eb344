#!/usr/bin/env bash
# Prints the folder holding etcd and kube-apiserver for the tests, building them first when needed.
# KUBEBUILDER_ASSETS (the envtest convention) wins when set. Otherwise the binaries are built once per
# machine with Go from the module proxy into a cache outside the clone, keyed on the version and go.sum,
# so that every later run (and CI on the same machine) reuses them.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
if [[ -n "${KUBEBUILDER_ASSETS:-}" ]]; then
  for bin in etcd kube-apiserver; do
    [[ -x "$KUBEBUILDER_ASSETS/$bin" ]] || { echo "KUBEBUILDER_ASSETS=$KUBEBUILDER_ASSETS has no $bin" >&2; exit 1; }
  done
  echo "$KUBEBUILDER_ASSETS"
  exit 0
fi
mod="$here/controlplane"
version="$(cat "$mod/KUBE_VERSION")"
key="$(cat "$mod/go.mod" "$mod/go.sum" "$mod/cmd/etcd/main.go" "$mod/cmd/kube-apiserver/main.go" | sha256sum | cut -c1-12)"
out="${IMAGE_GITOPS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/image-gitops}/kube/${version}-${key}"
if [[ -x "$out/kube-apiserver" && -x "$out/etcd" ]]; then
  echo "$out"
  exit 0
fi
command -v go >/dev/null || { echo "go is needed to build kube-apiserver and etcd (or set KUBEBUILDER_ASSETS)" >&2; exit 1; }
mkdir -p "$out.tmp"
minor="${version#v1.}"; minor="${minor%%.*}"
ldflags="-s -w -X k8s.io/component-base/version.gitVersion=${version} -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=${minor}"
export CGO_ENABLED=0 GOFLAGS=-trimpath
start=$(date +%s)
echo "building etcd and kube-apiserver ${version} into $out (first time on this machine: 10-20 minutes)" >&2
( cd "$mod" && go mod download -x 2>&1 | grep -c '^# get' | sed 's/^/modules fetched: /' >&2 || true )
( cd "$mod" && go build -ldflags "$ldflags" -o "$out.tmp/etcd" ./cmd/etcd ) >&2
echo "etcd built after $(( $(date +%s) - start ))s" >&2
( cd "$mod" && go build -ldflags "$ldflags" -o "$out.tmp/kube-apiserver" ./cmd/kube-apiserver ) >&2
echo "kube-apiserver built after $(( $(date +%s) - start ))s" >&2
rm -rf "$out" && mv "$out.tmp" "$out"
echo "$out"
