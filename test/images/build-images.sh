#!/usr/bin/env bash
# Builds the container images that the rendered Kubernetes objects run, on this machine and without the
# internet (Debian's apt mirror and the npm registry only), and prints where they are:
#
#   { "busybox": "/…/images/busybox-<key>.oci.tar", "skopeo": …, "buildah": …, "registry": …, "reconciler": … }
#
# Each image is an oci-archive (gzip layers, linux/amd64 only: the architecture of this machine) named by a
# key that hashes everything it is built from: this script, the Debian release, package list and apt sources,
# the host binaries copied in, and for the reconciler the Dockerfile and every local source its COPY lines
# name (package.json, package-lock.json, tsconfig.json, src/, schemas/). Unchanged inputs build nothing (a
# second run takes under a second); progress goes to stderr, the JSON object alone to stdout. Debian's
# packages are the mirror's of the day the Debian layer was built: a changed script or apt sources file
# builds it anew (or delete the images folder of the cache).
#
# Old archives are removed as new ones are made (the three most recently used of each name stay).
#
#   busybox     static busybox (Debian's busybox-static) with applet symlinks in /bin: the node's pause
#               (sandbox) image, Settings.images.shell and Settings.images.sleep (/bin/sleep is the static
#               busybox itself, so a copy of it runs in any image: busybox dispatches on argv[0]).
#   skopeo      Debian bookworm + skopeo; entrypoint skopeo, user 1000:1000 (the copy Jobs' user).
#   buildah     the same Debian layer + buildah, storage.conf with vfs, BUILDAH_ISOLATION=chroot; root (the
#               build Job runs as root without privilege).
#   registry    the same Debian layer + docker-registry (distribution 2.8): entrypoint /usr/bin/docker-registry
#               (also /usr/bin/registry), so the StatefulSet's `args: [serve, <config>]` run it; user 1000:1000,
#               a default config without auth at /etc/docker/registry/config.yml, storage /var/lib/registry.
#   reconciler  the project's Dockerfile, unchanged, built with `buildah bud` FROM local `node:20` and
#               `node:20-slim` images made of the same Debian layer plus this machine's own Node 20 and npm
#               (never pulled: --pull=never). Its `RUN npm ci` reaches the npm registry (host network).
#
# skopeo, buildah, registry and the node base share one Debian layer (same digest), pulled once per node.
#
# Needs root (buildah with the vfs driver and chroot isolation), mmdebstrap, buildah, flock and a static
# /bin/busybox: scripts/setup-machine.sh installs them. Buildah's storage is under the cache folder
# (CONTAINERS_STORAGE_CONF), never the machine's default storage; it keeps the Debian and node base images
# between runs (they are also archived, and reloaded from the archive when the storage is gone).
# Arguments: image names to build and print (default: all five).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
cache="${IMAGE_GITOPS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/image-gitops}"
out="$cache/images"
mkdir -p "$out"

RELEASE=bookworm
# The Debian layer of skopeo, buildah, registry and the node base. gpg satisfies libgpgme11's
# "gnupg | gpg" without all of gnupg; netavark satisfies containers-common's network stack with one binary
# instead of every CNI plugin (neither is used: buildah runs with chroot isolation and host network).
PACKAGES=(skopeo buildah docker-registry ca-certificates passwd libstdc++6 gpg netavark)
APT_SOURCES="${IMAGE_GITOPS_APT_SOURCES:-}"
if [[ -z "$APT_SOURCES" ]]; then
  if [[ -f /etc/apt/sources.list.d/debian.sources ]]; then APT_SOURCES=/etc/apt/sources.list.d/debian.sources
  else APT_SOURCES=/etc/apt/sources.list; fi
fi
NODE_BIN=/usr/bin/node
NPM_DIR=/usr/lib/node_modules/npm
# npm's global config next to this Node (prefix/etc/npmrc), e.g. the cafile this machine's npm trusts.
NPM_GLOBALRC="$(dirname "$(dirname "$NODE_BIN")")/etc/npmrc"
# Extra CAs of this machine (e.g. a TLS-inspecting egress proxy): trusted by npm in the node base images only.
EXTRA_CA_DIR=/usr/local/share/ca-certificates
ALL_NAMES=(busybox skopeo buildah registry reconciler)
KEEP_ARCHIVES=3

log() { echo "build-images: $*" >&2; }
die() { log "$*"; exit 1; }
sha() { sha256sum | cut -c1-16; }
file_sha() { sha256sum "$1" | cut -c1-64; }
# Hash of a folder's files (paths and content), in a stable order.
tree_sha() { (cd "$1" && find "${@:2}" -type f -print0 | LC_ALL=C sort -z | xargs -0 -r sha256sum) | sha; }

names=("$@")
[[ ${#names[@]} -gt 0 ]] || names=("${ALL_NAMES[@]}")
for name in "${names[@]}"; do
  [[ " ${ALL_NAMES[*]} " == *" $name "* ]] || die "unknown image '$name' (known: ${ALL_NAMES[*]})"
done

# ---------------------------------------------------------------------------------------------- keys ---
script_key="$(file_sha "${BASH_SOURCE[0]}")"
declare -A KEY
key_debian() {
  [[ -n "${KEY[debian]:-}" ]] && return
  [[ -f "$APT_SOURCES" ]] || die "no apt sources file at $APT_SOURCES (set IMAGE_GITOPS_APT_SOURCES)"
  KEY[debian]="$(printf '%s\n' "$script_key" "$RELEASE" "${PACKAGES[*]}" "$(cat "$APT_SOURCES")" | sha)"
}
key_busybox() {
  [[ -x /bin/busybox ]] || die "/bin/busybox is missing: apt-get install busybox-static"
  KEY[busybox]="$(printf '%s\n' "$script_key" "$(file_sha /bin/busybox)" | sha)"
}
key_debian_image() { key_debian; KEY[$1]="$(printf '%s\n' "${KEY[debian]}" "$1" | sha)"; }
key_node() {
  [[ -n "${KEY[node]:-}" ]] && return
  key_debian
  [[ -x "$NODE_BIN" && -d "$NPM_DIR" ]] || die "Node 20 is expected at $NODE_BIN with npm in $NPM_DIR"
  local cas=none npmrc=none
  [[ -d "$EXTRA_CA_DIR" ]] && cas="$(tree_sha "$EXTRA_CA_DIR" .)"
  [[ -f "$NPM_GLOBALRC" ]] && npmrc="$(file_sha "$NPM_GLOBALRC")"
  KEY[node]="$(printf '%s\n' "${KEY[debian]}" "$(file_sha "$NODE_BIN")" "$(tree_sha "$NPM_DIR" .)" "$cas" "$npmrc" | sha)"
}
# The Dockerfile's local sources: what its COPY and ADD lines name, except copies --from another stage
# (package.json, package-lock.json, tsconfig.json, src, schemas).
dockerfile_sources() {
  awk 'toupper($1) == "COPY" || toupper($1) == "ADD" {
         if ($0 ~ /--from/) next
         for (i = 2; i < NF; i++) if ($i !~ /^--/) print $i
       }' "$repo/Dockerfile" | sed 's|^\./||; s|/$||' | LC_ALL=C sort -u
}
key_reconciler() {
  key_node
  [[ -f "$repo/Dockerfile" ]] || die "no Dockerfile in $repo"
  mapfile -t RECONCILER_SOURCES < <(dockerfile_sources)
  KEY[reconciler]="$(printf '%s\n' "${KEY[node]}" "$(file_sha "$repo/Dockerfile")" \
    "$(tree_sha "$repo" "${RECONCILER_SOURCES[@]}")" | sha)"
}
compute_key() {
  case "$1" in
    busybox) key_busybox ;;
    skopeo | buildah | registry) key_debian_image "$1" ;;
    reconciler) key_reconciler ;;
    debian) key_debian ;;
    node) key_node ;;
  esac
}

archive_of() { echo "$out/$1-${KEY[$1]}.oci.tar"; }
ref_of() { echo "localhost/image-gitops-test/$1:${KEY[$1]}"; }

print_json() {
  local sep='' name
  printf '{'
  for name in "${names[@]}"; do
    printf '%s\n  "%s": "%s"' "$sep" "$name" "$(archive_of "$name")"
    sep=','
  done
  printf '\n}\n'
}

all_present() {
  local name
  for name in "${names[@]}"; do [[ -f "$(archive_of "$name")" ]] || return 1; done
}

for name in "${names[@]}"; do compute_key "$name"; done
if all_present; then
  # Used now: the pruning of old archives keeps the most recently used ones.
  for name in "${names[@]}"; do touch "$(archive_of "$name")"; done
  print_json
  exit 0
fi

# -------------------------------------------------------------------------------------------- builds ---
[[ "$(id -u)" -eq 0 ]] || die "building images needs root (buildah with the vfs driver and chroot isolation)"
for tool in buildah mmdebstrap flock; do
  command -v "$tool" >/dev/null || die "$tool is missing: run scripts/setup-machine.sh"
done
case "$(ldd /bin/busybox 2>&1 || true)" in
  *'not a dynamic executable'*) ;;
  *) die "/bin/busybox is not static: apt-get install busybox-static" ;;
esac

# One build at a time per cache folder (test runs may share the machine); the other waits, then finds
# the archives made.
exec 9>"$out/.lock"
if ! flock -n 9; then
  log "another build holds $out/.lock: waiting"
  flock 9
fi

mkdir -p "$out/storage"
cat >"$out/storage.conf" <<EOF
[storage]
driver = "vfs"
graphroot = "$out/storage/graph"
runroot = "$out/storage/run"
EOF
cat >"$out/registries.conf" <<'EOF'
# Nothing is pulled by the image builds (--pull=never); short names resolve to Docker Hub's names.
unqualified-search-registries = ["docker.io"]
EOF
export CONTAINERS_STORAGE_CONF="$out/storage.conf"
export CONTAINERS_REGISTRIES_CONF="$out/registries.conf"
export BUILDAH_ISOLATION=chroot
work="$(mktemp -d "${TMPDIR:-/tmp}/image-gitops-images.XXXXXX")"
containers=()
cleanup() {
  local c
  for c in "${containers[@]}"; do buildah rm "$c" >/dev/null 2>&1 || true; done
  rm -rf "$work"
}
trap cleanup EXIT
# Working containers left by an interrupted build hold storage: nobody else uses this storage.
buildah rm --all >/dev/null 2>&1 || true

from() { local c; c="$(buildah from --pull=never --quiet "$1")"; containers+=("$c"); echo "$c"; }
run_in() { local c="$1"; shift; buildah run --isolation chroot "$c" -- "$@" >&2; }
in_storage() { buildah inspect --type image "$1" >/dev/null 2>&1; }
commit() { buildah commit --quiet --rm --format oci "$1" "$2" >/dev/null; }

# Writes the image to its archive (atomically), then drops older archives of the same name beyond the
# most recently used few.
export_archive() {
  local name="$1" archive
  archive="$(archive_of "$name")"
  rm -f "$archive.tmp"
  buildah push --quiet --format oci "$(ref_of "$name")" "oci-archive:$archive.tmp" >&2
  mv "$archive.tmp" "$archive"
  local old
  # shellcheck disable=SC2012
  ls -t "$out/$name"-*.oci.tar 2>/dev/null | tail -n +$((KEEP_ARCHIVES + 1)) | while read -r old; do
    log "removing the old archive $old"
    rm -f "$old"
  done
  log "$name: $archive ($(du -h "$archive" | cut -f1))"
}

# An image that later builds start FROM: in the storage, or reloaded from its archive, or built.
ensure_base() {
  local name="$1" builder="$2" ref archive
  ref="$(ref_of "$name")"
  archive="$(archive_of "$name")"
  in_storage "$ref" && return
  if [[ -f "$archive" ]]; then
    log "$name: loading $archive into the build storage"
    buildah pull --quiet "oci-archive:$archive" | xargs -I{} buildah tag {} "$ref"
    return
  fi
  "$builder"
  export_archive "$name"
}

timed() {
  local name="$1" start
  start=$(date +%s)
  log "$name: building (key ${KEY[$name]})"
  "build_$name"
  export_archive "$name"
  log "$name: built in $(($(date +%s) - start))s"
}

build_debian() {
  local start tar="$work/debian.tar"
  start=$(date +%s)
  log "debian: mmdebstrap $RELEASE with ${PACKAGES[*]} from $APT_SOURCES"
  local include
  include="$(IFS=,; echo "${PACKAGES[*]}")"
  # Merged /usr through mmdebstrap's own hook (no usrmerge and perl); no recommends, docs, man or
  # locales; no device nodes (the runtime provides /dev), no host resolv.conf or hostname.
  mmdebstrap --variant=essential --mode=root \
    --aptopt='Apt::Install-Recommends "false"' \
    --hook-dir=/usr/share/mmdebstrap/hooks/merged-usr \
    --include="$include" \
    --dpkgopt='path-exclude=/usr/share/man/*' \
    --dpkgopt='path-exclude=/usr/share/doc/*' \
    --dpkgopt='path-include=/usr/share/doc/*/copyright' \
    --dpkgopt='path-exclude=/usr/share/locale/*' \
    --dpkgopt='path-exclude=/usr/share/info/*' \
    --dpkgopt='path-exclude=/usr/share/lintian/*' \
    --customize-hook='rm -f "$1/etc/resolv.conf" "$1/etc/hostname"' \
    --skip=output/dev \
    "$RELEASE" "$tar" "$APT_SOURCES" >"$work/mmdebstrap.log" 2>&1 ||
    { tail -n 40 "$work/mmdebstrap.log" >&2; die "mmdebstrap failed (above: the end of its log)"; }
  local c
  c="$(buildah from scratch)"
  containers+=("$c")
  buildah add --quiet "$c" "$tar" / >/dev/null
  buildah config --os linux --arch amd64 \
    --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    --cmd '["/bin/bash"]' \
    --label "org.opencontainers.image.description=Debian $RELEASE: ${PACKAGES[*]}" "$c"
  commit "$c" "$(ref_of debian)"
  rm -f "$tar"
  log "debian: built in $(($(date +%s) - start))s"
}

build_busybox() {
  local root="$work/busybox" applet
  mkdir -p "$root"/{bin,etc,root,tmp,home,var/tmp,usr/bin}
  cp /bin/busybox "$root/bin/busybox"
  for applet in $(/bin/busybox --list); do
    [[ "$applet" == busybox || -e "$root/bin/$applet" ]] || ln -s busybox "$root/bin/$applet"
  done
  ln -s ../../bin/busybox "$root/usr/bin/env"
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$root/etc/passwd"
  printf 'root:x:0:\nnobody:x:65534:\n' >"$root/etc/group"
  chmod 1777 "$root/tmp" "$root/var/tmp"
  chmod 700 "$root/root"
  tar -C "$root" --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 -cf "$work/busybox.tar" .
  local c
  c="$(buildah from scratch)"
  containers+=("$c")
  buildah add --quiet "$c" "$work/busybox.tar" / >/dev/null
  # As a pause image: sleeps until TERM or INT (pid 1 ignores signals it has no handler for).
  buildah config --os linux --arch amd64 \
    --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    --cmd '["/bin/sh", "-c", "trap \"exit 0\" TERM INT; while :; do sleep 3600 & wait $!; done"]' \
    --label "org.opencontainers.image.description=static busybox $(/bin/busybox 2>&1 | sed -n '1s/^BusyBox \(v[^ ]*\).*/\1/p')" "$c"
  commit "$c" "$(ref_of busybox)"
}

build_skopeo() {
  local c
  c="$(from "$(ref_of debian)")"
  buildah config --entrypoint '["/usr/bin/skopeo"]' --cmd '["--help"]' --user 1000:1000 \
    --label org.opencontainers.image.description=skopeo "$c"
  commit "$c" "$(ref_of skopeo)"
}

build_buildah() {
  local c
  c="$(from "$(ref_of debian)")"
  printf '[storage]\ndriver = "vfs"\nrunroot = "/run/containers/storage"\ngraphroot = "/var/lib/containers/storage"\n' \
    >"$work/storage.conf"
  buildah copy --quiet "$c" "$work/storage.conf" /etc/containers/storage.conf >/dev/null
  buildah config --entrypoint '["/usr/bin/buildah"]' --cmd '["--help"]' --user 0:0 \
    --env BUILDAH_ISOLATION=chroot --env STORAGE_DRIVER=vfs \
    --label org.opencontainers.image.description=buildah "$c"
  commit "$c" "$(ref_of buildah)"
}

build_registry() {
  local c
  c="$(from "$(ref_of debian)")"
  cat >"$work/registry.yml" <<'EOF'
version: 0.1
log:
  fields:
    service: registry
storage:
  cache:
    blobdescriptor: inmemory
  filesystem:
    rootdirectory: /var/lib/registry
http:
  addr: :5000
  headers:
    X-Content-Type-Options: [nosniff]
health:
  storagedriver:
    enabled: true
    interval: 10s
    threshold: 3
EOF
  # Debian's own config turns htpasswd auth on: the image's default has none (as the upstream image).
  buildah copy --quiet --chmod 0644 "$c" "$work/registry.yml" /etc/docker/registry/config.yml >/dev/null
  run_in "$c" sh -ec 'ln -s docker-registry /usr/bin/registry; mkdir -p /var/lib/registry; chown 1000:1000 /var/lib/registry'
  buildah config --entrypoint '["/usr/bin/docker-registry"]' --cmd '["serve", "/etc/docker/registry/config.yml"]' \
    --user 1000:1000 --port 5000/tcp --volume /var/lib/registry \
    --label org.opencontainers.image.description="distribution registry (Debian docker-registry)" "$c"
  commit "$c" "$(ref_of registry)"
}

# node:20 and node:20-slim for the Dockerfile: one image, the Debian layer plus this machine's Node 20 laid
# out as in the official images (/usr/local/bin/node, /usr/local/lib/node_modules/npm, npm and npx links).
build_node() {
  local c version start
  start=$(date +%s)
  version="$("$NODE_BIN" --version)"
  [[ "$version" == v20.* ]] || die "$NODE_BIN is $version, not Node 20"
  c="$(from "$(ref_of debian)")"
  buildah copy --quiet "$c" "$NODE_BIN" /usr/local/bin/node >/dev/null
  buildah copy --quiet "$c" "$NPM_DIR" /usr/local/lib/node_modules/npm >/dev/null
  if [[ -d "$EXTRA_CA_DIR" ]] && compgen -G "$EXTRA_CA_DIR/*.crt" >/dev/null; then
    buildah copy --quiet "$c" "$EXTRA_CA_DIR" /usr/local/share/ca-certificates >/dev/null
  fi
  # This machine's global npm config (e.g. cafile=/etc/ssl/certs/ca-certificates.crt) at the image's prefix.
  if [[ -f "$NPM_GLOBALRC" ]]; then buildah copy --quiet "$c" "$NPM_GLOBALRC" /usr/local/etc/npmrc >/dev/null; fi
  run_in "$c" sh -ec '
    ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm
    ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx
    update-ca-certificates >/dev/null 2>&1
    groupadd --gid 1000 node
    useradd --uid 1000 --gid node --shell /bin/bash --create-home node
    node --version >/dev/null
    npm --version >/dev/null'
  buildah config --env "NODE_VERSION=${version#v}" --entrypoint '[]' --cmd '["node"]' \
    --label "org.opencontainers.image.description=Debian $RELEASE + this machine's Node $version" "$c"
  commit "$c" "$(ref_of node)"
  buildah tag "$(ref_of node)" docker.io/library/node:20 docker.io/library/node:20-slim
  log "node: built in $(($(date +%s) - start))s"
}

build_reconciler() {
  local ctx="$work/reconciler"
  mkdir -p "$ctx"
  # Exactly the hashed inputs, so that the image depends on nothing else of the working tree.
  (cd "$repo" && cp -a --parents Dockerfile "${RECONCILER_SOURCES[@]}" "$ctx/")
  # The Dockerfile's FROM names, whatever they point at now.
  buildah tag "$(ref_of node)" docker.io/library/node:20 docker.io/library/node:20-slim
  # No --layers: with vfs, committing every step (a full copy each) costs more than the build it saves.
  buildah bud --isolation chroot --pull=never --format oci --layers=false \
    --label "org.opencontainers.image.description=image-gitops reconciler (test build)" \
    --tag "$(ref_of reconciler)" --file "$ctx/Dockerfile" "$ctx" >&2
}

needs_debian=0 needs_node=0
for name in "${names[@]}"; do
  [[ -f "$(archive_of "$name")" ]] && continue
  case "$name" in
    skopeo | buildah | registry) needs_debian=1 ;;
    reconciler) needs_debian=1 needs_node=1 ;;
  esac
done
if [[ $needs_debian == 1 ]]; then ensure_base debian build_debian; fi
if [[ $needs_node == 1 ]]; then ensure_base node build_node; fi

for name in "${names[@]}"; do
  [[ -f "$(archive_of "$name")" ]] && { touch "$(archive_of "$name")"; continue; }
  timed "$name"
  # The archive is the product: the storage keeps only the base images.
  buildah rmi "$(ref_of "$name")" >/dev/null 2>&1 || true
done
# Base images of other keys (an older script or Node) go; dangling stage images too.
for base in debian node; do
  [[ -n "${KEY[$base]:-}" ]] || continue
  buildah images --format '{{.Name}}:{{.Tag}}' 2>/dev/null | grep "^localhost/image-gitops-test/$base:" |
    grep -v ":${KEY[$base]}\$" | xargs -r buildah rmi >/dev/null 2>&1 || true
done
buildah rmi --prune >/dev/null 2>&1 || true
print_json
