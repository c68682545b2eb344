#!/usr/bin/env bash
# Installs the real parts the test bench runs (registries, skopeo, buildah, git, ...) from Debian's packages.
# Idempotent and fast when everything is already there: apt-get runs only for missing commands.
set -euo pipefail

# command -> Debian package that provides it
declare -A PACKAGES=(
  [skopeo]=skopeo
  [docker-registry]=docker-registry
  [buildah]=buildah
  [htpasswd]=apache2-utils
  [busybox]=busybox-static
  [git]=git
  [openssl]=openssl
  [kubectl]=kubectl
  [/usr/bin/time]=time
  # The test node: container runtime, CNI plugins, the node's network namespace and packet filter.
  [containerd]=containerd
  [runc]=runc
  [/usr/lib/cni/bridge]=containernetworking-plugins
  [iptables]=iptables
  [conntrack]=conntrack
  [ip]=iproute2
  [nsenter]=util-linux
  [sysctl]=procps
  # Images for the node's pods, built here: a Debian root filesystem without a Docker engine.
  [mmdebstrap]=mmdebstrap
  # The status page's browser test (headless) and the alert rules' checks against a real Prometheus.
  [chromium]=chromium
  [promtool]=prometheus
)

missing=()
for cmd in "${!PACKAGES[@]}"; do
  if ! command -v "$cmd" >/dev/null 2>&1; then
    missing+=("${PACKAGES[$cmd]}")
  fi
done
# /bin/busybox must be the static build (it is copied into test images for RUN steps), not Debian's dynamic one.
if ! dpkg-query -W -f='${Status}' busybox-static 2>/dev/null | grep -q 'install ok installed'; then
  missing+=(busybox-static)
fi

if [ "${#missing[@]}" -eq 0 ]; then
  echo "setup-machine: all tools present (${!PACKAGES[*]})"
  exit 0
fi

mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
if [ "$(id -u)" -ne 0 ]; then
  echo "setup-machine: missing packages: ${missing[*]}; run this script as root (or: sudo apt-get install -y ${missing[*]})" >&2
  exit 1
fi

echo "setup-machine: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "setup-machine: installed ${missing[*]}"
