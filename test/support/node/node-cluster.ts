// A cluster with one real node, for the tests whose objects must run: a control plane of its own (API
// server on the host end of the node's link, ServiceAccount tokens on), the controller manager and the
// scheduler, and in the node's network namespace containerd, kubelet and kube-proxy. Images come from a
// registry on the host end of the link (nothing is pulled from the internet). Started once per test run,
// on first use, and stopped by the root hook (every process by its PID, also when a start fails).
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { KubeObject } from '../../../src/core/kube-object.js';
import { type ControlPlane, startControlPlane } from '../control-plane.js';
import { pushTestImage } from '../oci-image.js';
import { spawnTracked, stopTracked, waitFor } from '../processes.js';
import { type StartRegistryOptions, startRegistry, type TestRegistry } from '../registry.js';
import { makeTempDir, removeTempDir } from '../tmp.js';
import { type Containerd, insecureRegistryHostsToml, startContainerd } from './containerd.js';
import { createNodeNetwork, type NodeNetwork } from './network.js';
import { nodeBinaries, unmountUnder } from './node-host.js';

export const NODE_NAME = 'image-gitops-node';
/** Default StorageClass of the bench: pre-made hostPath volumes, bound at once. */
export const BENCH_STORAGE_CLASS = 'bench-hostpath';
const BENCH_VOLUMES = 4;

export interface NodeCluster {
  controlPlane: ControlPlane;
  network: NodeNetwork;
  containerd: Containerd;
  /** The registry the node pulls the bench's images from (plain HTTP, on the host end of the link). */
  imageRegistry: TestRegistry;
  /** A registry on the host end of the link, reachable from pods (declared plain HTTP to the node). */
  startRegistry(options?: Omit<StartRegistryOptions, 'address'>): Promise<TestRegistry>;
  /** Lets the node pull from a plain-HTTP registry (`host:port`). */
  trustInsecureRegistry(host: string): void;
  /** Image references in the node's containerd store. */
  nodeImages(): Promise<string[]>;
  stop(): Promise<void>;
}

interface Component {
  name: string;
  stop(): Promise<void>;
}

function startComponent(
  name: string,
  cmd: string,
  args: string[],
  netnsPath?: string,
): Component & { output(): string } {
  const output: string[] = [];
  const argv = netnsPath
    ? (['nsenter', [`--net=${netnsPath}`, '--', cmd, ...args]] as const)
    : ([cmd, args] as const);
  const child = spawnTracked(argv[0], [...argv[1]]);
  const keep = (c: Buffer) => {
    output.push(c.toString());
    if (output.length > 400) output.splice(0, 200);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  return {
    name,
    output: () => output.join(''),
    stop: () => stopTracked(child, { graceMs: 5_000 }),
  };
}

function kubeletConfig(o: {
  network: NodeNetwork;
  socket: string;
  caCert: string;
  podLogsDir: string;
}): string {
  return stringify({
    apiVersion: 'kubelet.config.k8s.io/v1beta1',
    kind: 'KubeletConfiguration',
    cgroupDriver: 'cgroupfs',
    // No QoS cgroup tree of our own: each container's cgroup goes with it (several runs may share a machine).
    cgroupsPerQOS: false,
    enforceNodeAllocatable: [],
    failSwapOn: false,
    containerRuntimeEndpoint: `unix://${o.socket}`,
    address: o.network.nodeAddress,
    readOnlyPort: 0,
    healthzPort: 0,
    authentication: {
      x509: { clientCAFile: o.caCert },
      anonymous: { enabled: false },
      webhook: { enabled: false },
    },
    authorization: { mode: 'AlwaysAllow' },
    // The disk is shared with the bench: eviction and image GC must never kill or delete what tests run.
    evictionHard: {},
    imageGCHighThresholdPercent: 100,
    imageGCLowThresholdPercent: 99,
    serializeImagePulls: false,
    resolvConf: '/etc/resolv.conf',
    podLogsDir: o.podLogsDir,
    fileCheckFrequency: '5s',
    nodeStatusUpdateFrequency: '5s',
  });
}

async function startNodeCluster(): Promise<NodeCluster> {
  const bin = nodeBinaries();
  const dir = makeTempDir('node');
  const components: Component[] = [];
  let network: NodeNetwork | undefined;
  let containerd: Containerd | undefined;
  let controlPlane: ControlPlane | undefined;
  const registries: TestRegistry[] = [];
  const stop = async () => {
    for (const c of [...components].reverse().filter((c) => c.name === 'kubelet' || c.name === 'kube-proxy'))
      await c.stop();
    await containerd?.stop();
    for (const c of [...components].reverse()) await c.stop();
    await controlPlane?.stop();
    for (const r of registries) await r.stop();
    unmountUnder(dir);
    network?.remove();
    removeTempDir(dir);
  };
  try {
    network = createNodeNetwork();
    const net = network;
    const imageRegistry = await startRegistry({ address: net.hostAddress });
    registries.push(imageRegistry);
    const sandboxImage = `${imageRegistry.host}/image-gitops-test/pause:1`;
    await pushTestImage(imageRegistry, 'image-gitops-test/pause', '1', {
      withBusybox: true,
      cmd: ['/bin/busybox', 'sleep', '2147483647'],
    });

    controlPlane = await startControlPlane({ address: net.hostAddress, serviceAccounts: true });
    const cp = controlPlane;
    const kubeconfig = cp.kubeconfigPath;
    // Both talk to the API server as the admin, serve nothing (port 0) and run alone (no election).
    const controllerArgs = [
      ...['--kubeconfig', '--authentication-kubeconfig', '--authorization-kubeconfig'].flatMap((f) => [
        f,
        kubeconfig,
      ]),
      '--bind-address',
      '127.0.0.1',
      '--secure-port',
      '0',
      '--leader-elect=false',
    ];
    components.push(
      startComponent('kube-controller-manager', join(bin, 'kube-controller-manager'), [
        ...controllerArgs,
        // nodelifecycle stays: without it the node keeps its not-ready taint and nothing schedules.
        '--controllers',
        '*,-nodeipam,-service-lb-controller,-cloud-node-lifecycle',
        '--service-account-private-key-file',
        cp.files.serviceAccountKey,
        '--root-ca-file',
        cp.files.caCert,
        '--use-service-account-credentials=false',
      ]),
      startComponent('kube-scheduler', join(bin, 'kube-scheduler'), controllerArgs),
    );

    containerd = await startContainerd({
      dir: join(dir, 'containerd'),
      network: net,
      sandboxImage,
      insecureRegistries: [imageRegistry.host],
    });
    const runtime = containerd;
    const kubeletDir = join(dir, 'kubelet');
    mkdirSync(join(kubeletDir, 'root'), { recursive: true });
    mkdirSync(join(kubeletDir, 'pod-logs'), { recursive: true });
    const kubeletConfigPath = join(kubeletDir, 'config.yaml');
    writeFileSync(
      kubeletConfigPath,
      kubeletConfig({
        network: net,
        socket: runtime.socket,
        caCert: cp.files.caCert,
        podLogsDir: join(kubeletDir, 'pod-logs'),
      }),
    );
    const kubelet = startComponent(
      'kubelet',
      join(bin, 'kubelet'),
      [
        '--config',
        kubeletConfigPath,
        '--kubeconfig',
        kubeconfig,
        '--root-dir',
        join(kubeletDir, 'root'),
        '--hostname-override',
        NODE_NAME,
        '--node-ip',
        net.nodeAddress,
      ],
      net.netnsPath,
    );
    components.push(kubelet);
    const proxy = startComponent(
      'kube-proxy',
      join(bin, 'kube-proxy'),
      [
        '--kubeconfig',
        kubeconfig,
        '--proxy-mode',
        'iptables',
        '--hostname-override',
        NODE_NAME,
        '--cluster-cidr',
        net.podSubnet,
        // Replies from a Service's pod on the same bridge come back through the node.
        '--masquerade-all',
        '--iptables-localhost-nodeports=false',
        '--nodeport-addresses',
        `${net.nodeAddress}/32`,
        '--metrics-bind-address',
        '127.0.0.1:10249',
        '--healthz-bind-address',
        '127.0.0.1:10256',
        '--conntrack-max-per-core',
        '0',
      ],
      net.netnsPath,
    );
    components.push(proxy);

    await waitFor(
      async () => {
        const node = await cp.kubeApi.get({ apiVersion: 'v1', kind: 'Node' }, undefined, NODE_NAME);
        const ready = (
          node?.status as { conditions?: { type: string; status: string }[] } | undefined
        )?.conditions?.find((c) => c.type === 'Ready');
        return ready?.status === 'True';
      },
      { timeoutMs: 120_000, intervalMs: 500, what: `node ${NODE_NAME} Ready` },
    ).catch((error: Error) => {
      throw new Error(`${error.message}\n--- kubelet ---\n${kubelet.output().slice(-4000)}`);
    });
    await createBenchStorage(cp, dir);

    const trustInsecureRegistry = (host: string) => {
      mkdirSync(join(runtime.registryConfigDir, host), { recursive: true });
      writeFileSync(join(runtime.registryConfigDir, host, 'hosts.toml'), insecureRegistryHostsToml(host));
    };
    return {
      controlPlane: cp,
      network: net,
      containerd: runtime,
      imageRegistry,
      async startRegistry(options = {}) {
        const registry = await startRegistry({ ...options, address: net.hostAddress });
        if (!options.tls) trustInsecureRegistry(registry.host);
        return registry;
      },
      trustInsecureRegistry,
      async nodeImages() {
        const out = await runtime.ctr(['images', 'list', '-q']);
        return out.split('\n').filter(Boolean);
      },
      stop,
    };
  } catch (error) {
    await stop().catch(() => undefined);
    throw error;
  }
}

/** A default StorageClass with pre-made hostPath volumes under the bench folder. */
async function createBenchStorage(cp: ControlPlane, dir: string): Promise<void> {
  const objects: KubeObject[] = [
    {
      apiVersion: 'storage.k8s.io/v1',
      kind: 'StorageClass',
      metadata: {
        name: BENCH_STORAGE_CLASS,
        annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' },
      },
      provisioner: 'kubernetes.io/no-provisioner',
      volumeBindingMode: 'Immediate',
    } as KubeObject,
  ];
  for (let i = 0; i < BENCH_VOLUMES; i++) {
    const path = join(dir, 'volumes', `pv-${i}`);
    mkdirSync(path, { recursive: true });
    // World-writable, as local-path provisioners make them: fsGroup does not reach hostPath volumes.
    chmodSync(path, 0o777);
    objects.push({
      apiVersion: 'v1',
      kind: 'PersistentVolume',
      metadata: { name: `bench-pv-${i}` },
      spec: {
        capacity: { storage: '10Gi' },
        accessModes: ['ReadWriteOnce'],
        persistentVolumeReclaimPolicy: 'Delete',
        storageClassName: BENCH_STORAGE_CLASS,
        hostPath: { path, type: 'Directory' },
      },
    } as KubeObject);
  }
  for (const object of objects) await cp.kubeApi.create(object);
}

// Kept on the process, not the module: a second instance of this module (a loader may make one) must still
// find the one node of the run instead of starting another.
const SHARED = Symbol.for('image-gitops.test.node-cluster');
const holder = globalThis as { [SHARED]?: Promise<NodeCluster> | undefined };

/** The one node cluster of this test run, started on first use. */
export function nodeCluster(): Promise<NodeCluster> {
  holder[SHARED] ??= startNodeCluster();
  return holder[SHARED];
}

/** Stops the shared node cluster if it was started (root hook). */
export async function stopSharedNodeCluster(): Promise<void> {
  const shared = holder[SHARED];
  if (!shared) return;
  const cluster = await shared.catch(() => undefined);
  holder[SHARED] = undefined;
  await cluster?.stop();
}
