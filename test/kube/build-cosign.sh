#!/usr/bin/env bash
# Prints the path of the `cosign` the signature tests sign and verify with, building it first when needed:
# sigstore's own cosign, built once per machine with Go from the module proxy (`go install
# github.com/sigstore/cosign/v2/cmd/cosign@<version>`: its go.mod has no replace directives, so the module's
# own go.sum pins every dependency) into a cache outside the clone, keyed on the version. Never committed.
# COSIGN_BINARY (an executable cosign) wins when set. Progress goes to stderr, the path alone to stdout.
set -euo pipefail
version="v2.6.5"
if [[ -n "${COSIGN_BINARY:-}" ]]; then
  [[ -x "$COSIGN_BINARY" ]] || { echo "COSIGN_BINARY=$COSIGN_BINARY is not an executable" >&2; exit 1; }
  echo "$COSIGN_BINARY"
  exit 0
fi
out="${IMAGE_GITOPS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/image-gitops}/cosign-${version}"
if [[ -x "$out/cosign" ]]; then
  echo "$out/cosign"
  exit 0
fi
export PATH="$PATH:/usr/local/go/bin"
command -v go >/dev/null || { echo "go is needed to build cosign (or set COSIGN_BINARY)" >&2; exit 1; }
rm -rf "$out.tmp" && mkdir -p "$out.tmp"
export CGO_ENABLED=0 GOFLAGS=-trimpath GOBIN="$out.tmp"
start=$(date +%s)
echo "building cosign ${version} into $out (first time on this machine: a few minutes)" >&2
go install -ldflags "-s -w -X sigs.k8s.io/release-utils/version.gitVersion=${version}" \
  "github.com/sigstore/cosign/v2/cmd/cosign@${version}" >&2
echo "cosign built after $(( $(date +%s) - start ))s" >&2
rm -rf "$out" && mv "$out.tmp" "$out"
echo "$out/cosign"
