#!/usr/bin/env bash
# The README's main command: set up a fresh machine (packages, the control plane and node binaries, the
# images the pods run), then run image-gitops on a one-node cluster on this machine against loopback
# registries and a git server, and show the images it copied, built and pre-pulled (see scripts/demo.ts).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/prepare.sh
exec npx tsx scripts/demo.ts
