/** Where the mirror pulls from, in the forms each consumer needs. */
export interface Upstream {
  /** `host[:port]` as written in image references (`docker.io` for Docker Hub). */
  host: string;
  /** URL the registry proxies to and containerd falls back to (`https://registry-1.docker.io` for Hub). */
  serverUrl: string;
  /** Directory name under containerd's certs.d: the registry host as image references name it. */
  certsDirName: string;
  isDockerHub: boolean;
}

/** Names under which Docker Hub is written; images on it are referenced as `docker.io/...`. */
const DOCKER_HUB_HOSTS = new Set([
  'docker.io',
  'index.docker.io',
  'registry-1.docker.io',
  'registry.hub.docker.com',
  'hub.docker.com',
  // mirror-operator's README uses this name for Docker Hub.
  'hub.docker.io',
]);

export const DOCKER_HUB_SERVER = 'https://registry-1.docker.io';

const UPSTREAM_PATTERN = /^(?:(https?):\/\/)?([A-Za-z0-9.-]+(?::[0-9]{1,5})?)\/?$/;
const DNS_LABEL = /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;

/**
 * A host name (DNS labels: no empty, `.` or `..` segment, no leading or trailing hyphen) or an IPv4 address,
 * and a port in 1-65535: the host becomes a folder name on every node (certs.d/<host>), so `..` must never get
 * through.
 */
function isRegistryHost(hostPort: string): boolean {
  const [host = '', port, ...rest] = hostPort.split(':');
  if (rest.length > 0) return false;
  if (port !== undefined && !(Number(port) >= 1 && Number(port) <= 65535)) return false;
  if (host.length > 253) return false;
  return host.split('.').every((label) => DNS_LABEL.test(label));
}

/** Parses `upstreamUrl`; returns undefined for anything but `[scheme://]host[:port][/]`. */
export function parseUpstream(upstreamUrl: string): Upstream | undefined {
  const match = UPSTREAM_PATTERN.exec(upstreamUrl.trim());
  if (!match || !isRegistryHost(match[2]!)) return undefined;
  const scheme = match[1] ?? 'https';
  const host = match[2]!.toLowerCase();
  if (DOCKER_HUB_HOSTS.has(host)) {
    return { host: 'docker.io', serverUrl: DOCKER_HUB_SERVER, certsDirName: 'docker.io', isDockerHub: true };
  }
  return { host, serverUrl: `${scheme}://${host}`, certsDirName: host, isDockerHub: false };
}

/** mirror-operator's default masquerade name: `mirror-` before the upstream host as written (no port). */
export function defaultMasqueradeUrl(upstreamUrl: string): string {
  const written = UPSTREAM_PATTERN.exec(upstreamUrl.trim())?.[2] ?? upstreamUrl;
  return `mirror-${written.replace(/:[0-9]+$/, '').toLowerCase()}`;
}
