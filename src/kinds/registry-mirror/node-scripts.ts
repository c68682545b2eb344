import { containerdHostsToml } from './hosts-toml.js';

/**
 * Shell scripts (POSIX sh, busybox-compatible) run by the node-config DaemonSet. Each writes its node
 * configuration, then sleeps; on TERM (the pod is deleted, e.g. because its DaemonSet was pruned when the
 * manifest was removed) and in the preStop hook, it removes what it wrote.
 *
 * Limits of this cleanup: it runs only on nodes where the pod gets to stop. A node that is down or
 * unreachable when the DaemonSet is deleted, a pod force-deleted with a zero grace period, or a node
 * removed from the selector while its kubelet is broken keeps the file. A stale hosts.toml is harmless
 * for pulls (containerd falls back to the upstream when the mirror does not answer, only slower); a stale
 * /etc/hosts line sends the masquerade name to a dead address. Remove them by hand in that case.
 *
 * Environment the scripts read (set by the DaemonSet, or by a test): MIRROR_ADDRESS (the mirror's address
 * as nodes reach it; a literal `$(...)` means Kubernetes could not expand the Service variable), CERTS_DIR
 * or HOSTS_FILE (where the host's file is mounted), TLS_DIR (the mirror's certificate, TLS only), and in
 * hosts mode with TLS DOCKER_CERTS_DIR and CERTS_DIR (where Docker's and containerd's certs.d are mounted).
 */

const CHECK_ADDRESS = `case "\${MIRROR_ADDRESS:-}" in
  ''|*'$('*)
    echo "the mirror's address is not known yet (its Service did not exist when this pod started); exiting so that the restarted container sees it" >&2
    exit 1 ;;
esac`;

/** Installed before anything is written, so that a TERM during the write still cleans up. */
const TRAP_TERM = `sleeper=
trap 'if [ -n "$sleeper" ]; then kill "$sleeper" 2>/dev/null || true; fi; cleanup; exit 0' TERM INT`;

/** A background sleep and `wait`, so the trap runs as soon as TERM arrives. */
const SLEEP_FOREVER = `while :; do
  sleep 86400 &
  sleeper=$!
  wait "$sleeper" || true
done`;

export interface ContainerdScriptOptions {
  /** Directory under certs.d: `docker.io`, `quay.io`, `registry.example.com:5000`. */
  certsDirName: string;
  serverUrl: string;
  /** `http` or `https` (TLS mirror). */
  mirrorScheme: 'http' | 'https';
  mirrorPort: number;
  /** certs.d on the host, for the `ca` path inside hosts.toml (TLS only). */
  hostCertsDir: string;
  /** Name of the CA file copied next to hosts.toml when the mirror serves TLS. */
  caFileName?: string;
  /** Who wrote the file; the first line of hosts.toml, so that cleanup removes only its own file. */
  marker: string;
}

function containerdPrelude(options: ContainerdScriptOptions): string {
  const caLine = options.caFileName ? `ca="$dir/${options.caFileName}"` : 'ca=';
  return `set -eu
dir="$CERTS_DIR/${options.certsDirName}"
file="$dir/hosts.toml"
backup="$file.image-gitops-backup"
${caLine}
marker='${options.marker}'
cleanup() {
  if [ -f "$file" ] && [ "$(head -n 1 "$file")" = "$marker" ]; then
    rm -f "$file"
    if [ -f "$backup" ]; then mv "$backup" "$file"; fi
    echo "removed $file"
  fi
  if [ -n "$ca" ]; then rm -f "$ca"; fi
  rmdir "$dir" 2>/dev/null || true
}`;
}

/** The DaemonSet container's script: writes hosts.toml (keeping a foreign one aside), sleeps, cleans up. */
export function containerdNodeScript(options: ContainerdScriptOptions): string {
  const toml = containerdHostsToml({
    serverUrl: options.serverUrl,
    // Expanded by the shell's here-document below; IPv6 addresses get brackets.
    mirrorUrl: `${options.mirrorScheme}://\${mirror_host}:${options.mirrorPort}`,
    ...(options.caFileName
      ? { caFile: `${options.hostCertsDir}/${options.certsDirName}/${options.caFileName}` }
      : {}),
    marker: options.marker,
  });
  const copyCa = options.caFileName
    ? `if [ -f "$TLS_DIR/ca.crt" ]; then cp "$TLS_DIR/ca.crt" "$ca.tmp"; else cp "$TLS_DIR/tls.crt" "$ca.tmp"; fi
mv "$ca.tmp" "$ca"
`
    : '';
  return `${containerdPrelude(options)}
${CHECK_ADDRESS}
case "$MIRROR_ADDRESS" in
  *:*) mirror_host="[$MIRROR_ADDRESS]" ;;
  *) mirror_host="$MIRROR_ADDRESS" ;;
esac
${TRAP_TERM}
mkdir -p "$dir"
if [ -f "$file" ] && [ "$(head -n 1 "$file")" != "$marker" ]; then mv "$file" "$backup"; fi
${copyCa}cat > "$file.tmp" <<EOF
${toml}EOF
mv "$file.tmp" "$file"
echo "wrote $file pointing at $mirror_host"
${SLEEP_FOREVER}
`;
}

/** The preStop hook: the same cleanup, so the file goes even when TERM reaches the shell late. */
export function containerdCleanupScript(options: ContainerdScriptOptions): string {
  return `${containerdPrelude(options)}
cleanup
`;
}

export interface HostsFileScriptOptions {
  masqueradeHost: string;
  /** Text after `# BEGIN ` / `# END ` around our line, unique per mirror. */
  marker: string;
  /**
   * With TLS: the mirror's CA is copied as `<dir>/<masqueradeHost>/<caFileName>` into each of `caDirVars`,
   * names of environment variables holding where the host's folders are mounted.
   */
  caFileName?: string;
  caDirVars?: string[];
}

function hostsPrelude(options: HostsFileScriptOptions): string {
  const caFiles = (options.caDirVars ?? []).map(
    (v) => `$${v}/${options.masqueradeHost}/${options.caFileName}`,
  );
  return `set -eu
hosts="$HOSTS_FILE"
begin='# BEGIN ${options.marker}'
end='# END ${options.marker}'
ca_files="${caFiles.join(' ')}"
without_block() {
  awk -v b="$begin" -v e="$end" '$0 == b { skip = 1; next } $0 == e { skip = 0; next } !skip' "$hosts"
}
cleanup() {
  rest=$(without_block)
  # Written in place: /etc/hosts is a bind mount, a rename would not reach the node's file.
  printf '%s\\n' "$rest" > "$hosts"
  for f in $ca_files; do rm -f "$f"; rmdir "$(dirname "$f")" 2>/dev/null || true; done
  echo "removed ${options.masqueradeHost} from $hosts"
}`;
}

/** The mirror's CA (ca.crt, else its own tls.crt) into each folder where runtimes look for the name's CA. */
const INSTALL_CA = `for f in $ca_files; do
  mkdir -p "$(dirname "$f")"
  if [ -f "$TLS_DIR/ca.crt" ]; then cp "$TLS_DIR/ca.crt" "$f.tmp"; else cp "$TLS_DIR/tls.crt" "$f.tmp"; fi
  mv "$f.tmp" "$f"
  echo "installed the mirror's CA as $f"
done`;

/**
 * mirror-operator's "hostess" mode: `<mirror address> <masquerade name>` in the node's /etc/hosts and, with
 * TLS, the mirror's CA where Docker and containerd look for that name's CA.
 */
export function hostsFileNodeScript(options: HostsFileScriptOptions): string {
  return `${hostsPrelude(options)}
${CHECK_ADDRESS}
${TRAP_TERM}
${INSTALL_CA}
rest=$(without_block)
printf '%s\\n%s\\n%s %s\\n%s\\n' "$rest" "$begin" "$MIRROR_ADDRESS" '${options.masqueradeHost}' "$end" > "$hosts"
echo "pointed ${options.masqueradeHost} at $MIRROR_ADDRESS in $hosts"
${SLEEP_FOREVER}
`;
}

export function hostsFileCleanupScript(options: HostsFileScriptOptions): string {
  return `${hostsPrelude(options)}
cleanup
`;
}
