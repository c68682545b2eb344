// containerd for the test node, with a config, socket, root and state of its own (never the machine's), run
// inside the node's network namespace so that the CNI bridge and the pods' namespaces live there.

import type { ChildProcess } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCommand, spawnTracked, stopTracked, waitFor } from '../processes.js';
import type { NodeNetwork } from './network.js';

export interface Containerd {
  socket: string;
  /** containerd's registry `config_path`: one `<host>/hosts.toml` folder per registry. */
  registryConfigDir: string;
  /** `ctr -n k8s.io ...` against this containerd. */
  ctr(args: string[]): Promise<string>;
  stop(): Promise<void>;
}

export interface ContainerdOptions {
  dir: string;
  network: NodeNetwork;
  sandboxImage: string;
  /** Plain-HTTP registries the node pulls from (`host:port`). */
  insecureRegistries: string[];
}

function configToml(o: {
  dir: string;
  socket: string;
  sandboxImage: string;
  cniConfDir: string;
  registryConfigDir: string;
}): string {
  return `version = 2
root = "${o.dir}/root"
state = "${o.dir}/state"
[grpc]
  address = "${o.socket}"
[ttrpc]
  address = "${o.socket}.ttrpc"
[plugins."io.containerd.internal.v1.opt"]
  path = "${o.dir}/opt"
[plugins."io.containerd.grpc.v1.cri"]
  # This machine refuses lowering a process's OOM score below its parent's (runc fails without this).
  restrict_oom_score_adj = true
  sandbox_image = "${o.sandboxImage}"
  # Pods' network namespaces under our state folder, not /run/netns: removed with it.
  netns_mounts_under_state_dir = true
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "${o.cniConfDir}"
  [plugins."io.containerd.grpc.v1.cri".registry]
    config_path = "${o.registryConfigDir}"
`;
}

/** A bridge on the node with routes to the node's link and the Service range only: no default route. */
function cniConflist(network: NodeNetwork, dataDir: string): string {
  return JSON.stringify({
    cniVersion: '0.4.0',
    name: 'image-gitops-test',
    plugins: [
      {
        type: 'bridge',
        bridge: 'cni-igo0',
        isGateway: true,
        ipMasq: false,
        hairpinMode: true,
        ipam: {
          type: 'host-local',
          dataDir,
          ranges: [[{ subnet: network.podSubnet }]],
          routes: network.podRoutes.map((dst) => ({ dst })),
        },
      },
      { type: 'portmap', capabilities: { portMappings: true } },
    ],
  });
}

/** hosts.toml declaring a plain-HTTP registry for pulls. */
export function insecureRegistryHostsToml(host: string): string {
  return `server = "http://${host}"\n\n[host."http://${host}"]\n  capabilities = ["pull", "resolve"]\n`;
}

export async function startContainerd(options: ContainerdOptions): Promise<Containerd> {
  const { dir, network } = options;
  const socket = join(dir, 'containerd.sock');
  const cniConfDir = join(dir, 'cni');
  const registryConfigDir = join(dir, 'certs.d');
  mkdirSync(cniConfDir, { recursive: true });
  for (const host of options.insecureRegistries) {
    mkdirSync(join(registryConfigDir, host), { recursive: true });
    writeFileSync(join(registryConfigDir, host, 'hosts.toml'), insecureRegistryHostsToml(host));
  }
  writeFileSync(
    join(cniConfDir, '10-image-gitops-test.conflist'),
    cniConflist(network, join(dir, 'cni-ipam')),
  );
  const configPath = join(dir, 'containerd.toml');
  writeFileSync(
    configPath,
    configToml({ dir, socket, sandboxImage: options.sandboxImage, cniConfDir, registryConfigDir }),
  );
  const output: string[] = [];
  const child: ChildProcess = spawnTracked('nsenter', [
    `--net=${network.netnsPath}`,
    '--',
    'containerd',
    '--config',
    configPath,
  ]);
  child.stdout?.on('data', (c: Buffer) => output.push(c.toString()));
  child.stderr?.on('data', (c: Buffer) => output.push(c.toString()));
  const ctr = async (args: string[]) =>
    (await runCommand('ctr', ['--address', socket, '--namespace', 'k8s.io', ...args], { timeoutMs: 60_000 }))
      .stdout;
  await waitFor(
    async () => {
      if (child.exitCode !== null) throw new Error(`containerd exited: ${output.join('').slice(-3000)}`);
      await runCommand('ctr', ['--address', socket, 'version'], { timeoutMs: 5_000 });
      return true;
    },
    { timeoutMs: 30_000, intervalMs: 200, what: 'containerd' },
  );
  return {
    socket,
    registryConfigDir,
    ctr,
    async stop() {
      await killTasks(ctr);
      await stopTracked(child, { graceMs: 5_000 });
      killShims(socket);
    },
  };
}

/**
 * Kills and deletes every container task this containerd runs: deleting runs `runc delete`, which removes
 * the container's cgroups and runc's state (outside our folder, under /run/containerd/runc), and lets the
 * shim exit.
 */
async function killTasks(ctr: (args: string[]) => Promise<string>): Promise<void> {
  const list = await ctr(['tasks', 'list', '-q']).catch(() => '');
  for (const id of list.split('\n').filter(Boolean)) {
    await ctr(['tasks', 'delete', '--force', id]).catch(() => undefined);
  }
}

/** The shims started for this containerd, found by the socket address in their command line, by PID. */
function killShims(socket: string): void {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let cmdline: string;
    try {
      cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
    } catch {
      continue;
    }
    if (cmdline.includes('containerd-shim') && cmdline.includes(socket)) {
      try {
        process.kill(Number(entry), 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
  }
}
