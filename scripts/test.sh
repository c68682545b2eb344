#!/usr/bin/env bash
# The one test command (README, .ci/run): set up a fresh machine, then type-check, lint and run every test
# against the real parts (kube-apiserver + etcd, git http-backend, docker-registry, skopeo, buildah).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/local/go/bin"

bash scripts/prepare.sh
bash test/kube/build-helm.sh >/dev/null   # for the Helm chart test; cached like the control plane
bash test/kube/build-cosign.sh >/dev/null # sigstore's cosign, for the signature tests: ~10 min once per machine
bash test/kube/build-oci-registry.sh >/dev/null # a registry with the OCI referrers API, for the referrers tests

npx tsc --noEmit -p tsconfig.json
npx biome check src test bench scripts

# Every suite, fastest first, the node's last. `.mocharc.json` names no spec, so that `npx mocha <file>`
# (or `bash scripts/test.sh <file>`) runs that file alone.
SUITES=(
  'test/unit/**/*.test.ts'
  'test/foundation/**/*.test.ts'
  'test/integration/**/*.test.ts'
  'test/e2e/**/*.test.ts'
  'test/node/**/*.test.ts'
)
if [ "$#" -eq 0 ]; then set -- "${SUITES[@]}"; fi

log="$(mktemp)"
trap 'rm -f "$log"' EXIT
set +e
npx mocha "$@" 2>&1 | grep --line-buffered -vE '^[IWE][0-9]{4} ' | tee "$log"
status=${PIPESTATUS[0]}
set -e
count() { grep -oE "^ +[0-9]+ $1" "$log" | grep -oE '[0-9]+' | tail -1 || true; }
passed=$(count passing)
failed=$(count failing)
pending=$(count pending)
echo "${passed:-0} passed, ${failed:-0} failed, ${pending:-0} skipped"
exit "$status"
