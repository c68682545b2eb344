// The node's network: a network namespace of its own, joined to the machine by one veth pair. containerd,
// kubelet and kube-proxy run inside it (nsenter --net, nothing else unshared, so mounts stay shared with the
// host); the API server, registries and git server listen on the host end of the pair. The namespace has no
// default route and the host drops anything it would forward from it, so no packet from a pod leaves this
// machine; its iptables (kube-proxy's, kubelet's) vanish with it.
import { execFileSync } from 'node:child_process';

export interface NodeNetwork {
  /** `/var/run/netns/<name>`, for `nsenter --net=`. */
  netnsPath: string;
  /** Address of the host end: servers the pods must reach listen here. */
  hostAddress: string;
  /** Address of the node (the namespace end): kubelet's node IP. */
  nodeAddress: string;
  /** Pods' subnet, on the CNI bridge inside the namespace. */
  podSubnet: string;
  /** Routes given to pods: the node's link and the Service range, nothing else. */
  podRoutes: string[];
  /** Runs a command inside the namespace. */
  exec(cmd: string, args: string[]): string;
  remove(): void;
}

const SERVICE_RANGE = '10.96.0.0/16';

function run(cmd: string, args: string[]): string {
  return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

function tryRun(cmd: string, args: string[]): void {
  try {
    run(cmd, args);
  } catch {
    // Teardown is best effort: what is already gone stays gone.
  }
}

/** A /30 of 10.201.x.0 not used on this machine yet (another test run may hold one). */
function freeLinkSubnet(): number {
  const used = run('ip', ['-4', '-o', 'addr', 'show']);
  for (let offset = 0; offset < 250; offset++) {
    const x = (process.pid + offset) % 250;
    if (!used.includes(` 10.201.${x}.`)) return x;
  }
  throw new Error('no free 10.201.x.0/30 link for the test node');
}

let created = 0;

export function createNodeNetwork(): NodeNetwork {
  const x = freeLinkSubnet();
  // Unique per process and per node: a name in use is never taken over, nor removed by our cleanup.
  const id = `${process.pid}-${created++}`;
  const name = `igo-node-${id}`;
  const hostLink = `igo${id}`.slice(0, 15);
  const hostAddress = `10.201.${x}.1`;
  const nodeAddress = `10.201.${x}.2`;
  const linkSubnet = `10.201.${x}.0/30`;
  const netnsPath = `/var/run/netns/${name}`;
  // One pod subnet per run, so that two runs on one machine never route each other's pods.
  const podSubnet = `10.244.${x}.0/24`;
  const inNs = (cmd: string, args: string[]) => run('nsenter', [`--net=${netnsPath}`, '--', cmd, ...args]);
  const forwardDrop = ['FORWARD', '-i', hostLink, '-j', 'DROP'];
  // What was made, undone in reverse order: only what this call created.
  const undo: Array<() => void> = [];
  const remove = () => {
    for (const step of undo.splice(0).reverse()) step();
  };
  try {
    run('ip', ['netns', 'add', name]);
    undo.push(() => tryRun('ip', ['netns', 'delete', name]));
    // Dropped before any pod exists: the machine forwards (ip_forward=1), the node must not.
    run('iptables', ['-I', ...forwardDrop]);
    undo.push(() => tryRun('iptables', ['-D', ...forwardDrop]));
    run('ip', ['link', 'add', hostLink, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', name]);
    undo.push(() => tryRun('ip', ['link', 'delete', hostLink]));
    run('ip', ['addr', 'add', `${hostAddress}/30`, 'dev', hostLink]);
    run('ip', ['link', 'set', hostLink, 'up']);
    run('ip', ['-n', name, 'addr', 'add', `${nodeAddress}/30`, 'dev', 'eth0']);
    run('ip', ['-n', name, 'link', 'set', 'eth0', 'up']);
    run('ip', ['-n', name, 'link', 'set', 'lo', 'up']);
    // The node itself (containerd pulling through a RegistryMirror's ClusterIP) needs a route to the Service
    // range for kube-proxy's DNAT to apply; there is no default route to carry it, as a real node has.
    run('ip', ['-n', name, 'route', 'add', SERVICE_RANGE, 'dev', 'eth0']);
    inNs('sysctl', ['-qw', 'net.ipv4.ip_forward=1']);
    // Pod-to-Service-to-pod on one bridge goes through the node's iptables (kube-proxy's DNAT). Best effort:
    // without br_netfilter, kube-proxy's --masquerade-all still brings the replies back through the node.
    tryRun('nsenter', [`--net=${netnsPath}`, '--', 'sysctl', '-qw', 'net.bridge.bridge-nf-call-iptables=1']);
    // Pods reach the host end as the node: the host needs no route back for connections pods open.
    inNs('iptables', ['-t', 'nat', '-A', 'POSTROUTING', '-s', podSubnet, '-o', 'eth0', '-j', 'MASQUERADE']);
    // The host (the API server's proxy to pods, the tests) reaches pods through the node, as on a cluster.
    run('ip', ['route', 'add', podSubnet, 'via', nodeAddress]);
    undo.push(() => tryRun('ip', ['route', 'delete', podSubnet]));
  } catch (error) {
    remove();
    throw error;
  }
  return {
    netnsPath,
    hostAddress,
    nodeAddress,
    podSubnet,
    podRoutes: [linkSubnet, SERVICE_RANGE],
    exec: inNs,
    remove,
  };
}
