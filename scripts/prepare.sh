#!/usr/bin/env bash
# Everything a fresh machine needs before the demo or the tests: Debian packages, node_modules, the real
# kube-apiserver + etcd and the node's kubelet, scheduler, controller manager and kube-proxy, built once per
# machine into ~/.cache/image-gitops (minutes the first time), and the images the node's pods run.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/local/go/bin"
bash scripts/setup-machine.sh
npm ci --no-audit --no-fund --loglevel=error
bash test/kube/build-control-plane.sh >/dev/null
bash test/kube/build-node.sh >/dev/null
# The images the node's pods run, built here (no internet): a minute the first time, cached by inputs.
bash test/images/build-images.sh >/dev/null
