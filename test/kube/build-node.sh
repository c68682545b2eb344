#!/usr/bin/env bash
# Prints the folder holding kubelet, kube-scheduler, kube-controller-manager and kube-proxy for the test
# node, building them first when needed: from the same Go module as the test kube-apiserver (the same
# k8s.io/kubernetes version and staging replaces), once per machine, into a cache outside the clone keyed on
# the version, go.mod/go.sum and the entry points. KUBE_NODE_ASSETS (a folder with the four binaries) wins
# when set. Progress goes to stderr, the folder alone to stdout.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
binaries=(kubelet kube-scheduler kube-controller-manager kube-proxy)
if [[ -n "${KUBE_NODE_ASSETS:-}" ]]; then
  for bin in "${binaries[@]}"; do
    [[ -x "$KUBE_NODE_ASSETS/$bin" ]] || { echo "KUBE_NODE_ASSETS=$KUBE_NODE_ASSETS has no $bin" >&2; exit 1; }
  done
  echo "$KUBE_NODE_ASSETS"
  exit 0
fi
mod="$here/controlplane"
version="$(cat "$mod/KUBE_VERSION")"
key="$(cat "$mod/go.mod" "$mod/go.sum" $(printf "$mod/cmd/%s/main.go " "${binaries[@]}") | sha256sum | cut -c1-12)"
out="${IMAGE_GITOPS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/image-gitops}/kube/node-${version}-${key}"
complete=true
for bin in "${binaries[@]}"; do [[ -x "$out/$bin" ]] || complete=false; done
if $complete; then
  echo "$out"
  exit 0
fi
export PATH="$PATH:/usr/local/go/bin"
command -v go >/dev/null || { echo "go is needed to build the node binaries (or set KUBE_NODE_ASSETS)" >&2; exit 1; }
mkdir -p "$out.tmp"
minor="${version#v1.}"; minor="${minor%%.*}"
ldflags="-s -w -X k8s.io/component-base/version.gitVersion=${version} -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=${minor}"
export CGO_ENABLED=0 GOFLAGS=-trimpath
start=$(date +%s)
echo "building ${binaries[*]} ${version} into $out (first time on this machine: a few minutes)" >&2
for bin in "${binaries[@]}"; do
  ( cd "$mod" && go build -ldflags "$ldflags" -o "$out.tmp/$bin" "./cmd/$bin" ) >&2
  echo "$bin built after $(( $(date +%s) - start ))s" >&2
done
rm -rf "$out" && mv "$out.tmp" "$out"
echo "$out"
