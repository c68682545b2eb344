#!/usr/bin/env bash
# The README's main command: set up a fresh machine, then run the engine on sample-repo/ against a local
# control plane and git server (see scripts/demo.ts).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/local/go/bin"
bash scripts/setup-machine.sh
npm ci --no-audit --no-fund --loglevel=error
bash test/kube/build-control-plane.sh >/dev/null
exec npx tsx scripts/demo.ts
