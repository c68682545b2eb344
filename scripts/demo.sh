#!/usr/bin/env bash
# The README's main command: set up a fresh machine, then run the engine on sample-repo/ against a local
# control plane and git server (see scripts/demo.ts).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/prepare.sh
exec npx tsx scripts/demo.ts
