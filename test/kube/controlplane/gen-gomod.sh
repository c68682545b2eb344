#!/usr/bin/env bash
# Writes go.mod for the test control plane: k8s.io/kubernetes at KUBE_VERSION, with every staging module
# that its own go.mod points at ./staging replaced by the published v0.<minor>.<patch>. Run once per
# version bump; go.mod and go.sum are committed so that builds need only the module proxy.
set -euo pipefail
cd "$(dirname "$0")"
KUBE_VERSION="${KUBE_VERSION:-v1.34.4}"
STAGING_VERSION="v0.${KUBE_VERSION#v1.}"
upstream_mod="$(go mod download -json "k8s.io/kubernetes@${KUBE_VERSION}" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')"
{
  echo "module imagegitops.test/controlplane"
  echo
  echo "go 1.24.0"
  echo
  echo "require k8s.io/kubernetes ${KUBE_VERSION}"
  echo
  echo "replace ("
  grep -E '^\s*k8s\.io/[a-z0-9-]+ => \./staging/' "$upstream_mod" | awk -v v="$STAGING_VERSION" '{print "\t" $1 " => " $1 " " v}'
  echo ")"
} > go.mod
echo "$KUBE_VERSION" > KUBE_VERSION
GOFLAGS=-mod=mod go mod tidy
echo "go.mod written for ${KUBE_VERSION} ($(grep -c '=> k8s.io' go.mod) staging replaces)"
