#!/usr/bin/env bash
# Prints the path of a helm binary for the chart tests, building it first when needed.
# HELM (a path to a helm binary) wins when set. Otherwise helm is built once per
# machine with Go from the module proxy (Debian packages no helm) into a cache outside the clone, keyed on
# the version, so every later run reuses it. Progress goes to stderr, the path alone to stdout.
set -euo pipefail
version="v3.16.4"
if [[ -n "${HELM:-}" ]]; then
  [[ -x "$HELM" ]] || { echo "HELM=$HELM is not an executable" >&2; exit 1; }
  echo "$HELM"
  exit 0
fi
out="${IMAGE_GITOPS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/image-gitops}/helm/${version}"
if [[ -x "$out/helm" ]]; then
  echo "$out/helm"
  exit 0
fi
export PATH="$PATH:/usr/local/go/bin"
command -v go >/dev/null || { echo "go is needed to build helm (or set HELM to a helm binary)" >&2; exit 1; }
mkdir -p "$out.tmp"
export CGO_ENABLED=0 GOFLAGS=-trimpath GOBIN="$out.tmp"
start=$(date +%s)
echo "building helm ${version} into $out (first time on this machine: a few minutes)" >&2
go install -ldflags "-s -w -X helm.sh/helm/v3/internal/version.version=${version}" "helm.sh/helm/v3/cmd/helm@${version}" >&2
"$out.tmp/helm" version --short >&2
echo "helm built after $(( $(date +%s) - start ))s" >&2
rm -rf "$out" && mv "$out.tmp" "$out"
echo "$out/helm"
