/**
 * containerd's registry host configuration (`<config_path>/<registry host>/hosts.toml`). containerd reads
 * these files only when its CRI registry `config_path` is set, e.g. in /etc/containerd/config.toml:
 *   containerd 1.x: [plugins."io.containerd.grpc.v1.cri".registry] config_path = "/etc/containerd/certs.d"
 *   containerd 2.x: [plugins."io.containerd.cri.v1.images".registry] config_path = "/etc/containerd/certs.d"
 * Without it, the files are ignored and nodes pull from the upstream directly.
 */
export interface HostsTomlOptions {
  /** Upstream URL containerd falls back to when the mirror fails (`https://registry-1.docker.io`). */
  serverUrl: string;
  /** The mirror as the node reaches it: `http://10.96.0.20:5000`. */
  mirrorUrl: string;
  /** CA file on the node for a TLS mirror. */
  caFile?: string;
  /** First line of the file, a comment that marks it as ours. */
  marker: string;
}

function tomlString(text: string): string {
  return JSON.stringify(text);
}

/** The file's text: try the mirror for pull and resolve, then fall back to the upstream (`server`). */
export function containerdHostsToml(options: HostsTomlOptions): string {
  const lines = [
    options.marker,
    `server = ${tomlString(options.serverUrl)}`,
    '',
    `[host.${tomlString(options.mirrorUrl)}]`,
    '  capabilities = ["pull", "resolve"]',
  ];
  if (options.caFile) lines.push(`  ca = ${tomlString(options.caFile)}`);
  return `${lines.join('\n')}\n`;
}
