#!/usr/bin/env bash
# Prints the path of the OCI registry that serves the distribution-spec 1.1 referrers API
# (`GET /v2/<name>/referrers/<digest>`), for the referrers tests (Debian's docker-registry 2.8 has none):
# go-containerregistry's pkg/registry (in memory) with its referrers endpoint switched on, which its own
# cmd/registry leaves off: the few lines of test/kube/oci-registry/main.go, built once per machine with Go
# from the module proxy (its go.sum pins every dependency) into the cache beside cosign, keyed on the
# version and the hash of the sources. Never committed. OCI_REGISTRY_BINARY (an executable) wins when set.
# Progress goes to stderr, the path alone to stdout.
set -euo pipefail
version="ggcr-v0.22.1"
if [[ -n "${OCI_REGISTRY_BINARY:-}" ]]; then
  [[ -x "$OCI_REGISTRY_BINARY" ]] || { echo "OCI_REGISTRY_BINARY=$OCI_REGISTRY_BINARY is not an executable" >&2; exit 1; }
  echo "$OCI_REGISTRY_BINARY"
  exit 0
fi
src="$(cd "$(dirname "$0")/oci-registry" && pwd)"
hash=$(cat "$src/main.go" "$src/go.mod" "$src/go.sum" | sha256sum | cut -c1-12)
out="${IMAGE_GITOPS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/image-gitops}/oci-registry-${version}-${hash}"
if [[ -x "$out/registry" ]]; then
  echo "$out/registry"
  exit 0
fi
export PATH="$PATH:/usr/local/go/bin"
command -v go >/dev/null || { echo "go is needed to build the OCI registry (or set OCI_REGISTRY_BINARY)" >&2; exit 1; }
rm -rf "$out.tmp" && mkdir -p "$out.tmp"
start=$(date +%s)
echo "building the OCI registry (${version}) into $out (first time on this machine)" >&2
(cd "$src" && CGO_ENABLED=0 GOFLAGS="-trimpath -mod=readonly" go build -ldflags "-s -w" -o "$out.tmp/registry" .) >&2
echo "OCI registry built after $(( $(date +%s) - start ))s" >&2
rm -rf "$out" && mv "$out.tmp" "$out"
echo "$out/registry"
