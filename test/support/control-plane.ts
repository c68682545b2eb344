// A real Kubernetes control plane for the tests, as controller-runtime's envtest runs it: etcd and
// kube-apiserver on loopback, an admin identity by client certificate, an audit log to count requests.
// Started once per test run (lazily, on first use) and stopped by the root hook in test/hooks.ts.

import type { ChildProcess } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { KubeClient } from '../../src/kube/client.js';
import { openssl, selfSignedCa, signedCertificate } from './certs.js';
import { spawnTracked, stopTracked, waitFor } from './processes.js';
import { freePort } from './registry.js';
import { makeTempDir } from './tmp.js';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface AuditEvent {
  verb: string;
  requestURI: string;
  userAgent?: string;
  user: { username: string; groups?: string[] };
  objectRef?: {
    resource?: string;
    namespace?: string;
    name?: string;
    subresource?: string;
    apiGroup?: string;
  };
  responseStatus?: { code?: number };
  stage: string;
}

export interface ControlPlaneOptions {
  /**
   * Address the API server binds, advertises and is reached on (default 127.0.0.1). A node's pods need one
   * that is not loopback: the `kubernetes` Service then points at it.
   */
  address?: string;
  /** Pods get ServiceAccount tokens (ServiceAccount admission on); off for the API-only bench. */
  serviceAccounts?: boolean;
  /** More kube-apiserver flags (e.g. a small `--max-mutating-requests-inflight` to be answered 429). */
  apiServerArgs?: string[];
}

/** The files of the control plane's identities, for the node's components. */
export interface ControlPlaneFiles {
  dir: string;
  caCert: string;
  caKey: string;
  serviceAccountKey: string;
  adminCert: string;
  adminKey: string;
}

export interface ControlPlane {
  server: string;
  /** The address the API server listens on. */
  address: string;
  files: ControlPlaneFiles;
  kubeconfigPath: string;
  /** A client with the admin identity, for test set-up and checks. */
  kubeApi: KubeClient;
  /** A fresh namespace, named after the test. */
  newNamespace(prefix?: string): Promise<string>;
  /** A kubeconfig for another identity (a client certificate with this user and groups). */
  kubeconfigFor(user: string, groups?: string[]): string;
  /** Every request the API server has completed so far, from its audit log. */
  auditEvents(): AuditEvent[];
  pids(): number[];
  /** Stops kube-apiserver (etcd keeps the data) and returns a function that starts it again. */
  stopApiServer(): Promise<() => Promise<void>>;
  /**
   * Compacts etcd's history up to now (its gRPC gateway), as the API server does every few minutes: a watch
   * from a version before it is answered 410 Gone.
   */
  compactEtcd(): Promise<void>;
  stop(): Promise<void>;
}

/** The folder with etcd and kube-apiserver: KUBEBUILDER_ASSETS, or built once per machine. */
export function controlPlaneBinaries(): string {
  const script = join(repoRoot, 'test', 'kube', 'build-control-plane.sh');
  const out = execFileSync('bash', [script], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  return out.trim().split('\n').pop()!;
}

/** The first address of the Service range: the `kubernetes` Service's ClusterIP, in the serving cert. */
const SERVICE_CLUSTER_IP_RANGE = '10.96.0.0/16';
const KUBERNETES_SERVICE_IP = '10.96.0.1';

function makeCertificates(dir: string, address: string): void {
  selfSignedCa(dir, 'image-gitops-test-ca');
  const names = ['localhost', 'kubernetes', 'kubernetes.default', 'kubernetes.default.svc'];
  const ips = [...new Set(['127.0.0.1', address, KUBERNETES_SERVICE_IP])];
  signedCertificate(
    dir,
    'serving',
    '/CN=localhost',
    `subjectAltName=${[...ips.map((ip) => `IP:${ip}`), ...names.map((n) => `DNS:${n}`)].join(',')}\nextendedKeyUsage=serverAuth`,
  );
  openssl(['genrsa', '-out', 'sa.key', '2048'], dir);
  openssl(['rsa', '-in', 'sa.key', '-pubout', '-out', 'sa.pub'], dir);
}

function makeClientCertificate(dir: string, user: string, groups: string[]): { cert: string; key: string } {
  const name = `client-${user.replace(/[^a-zA-Z0-9-]/g, '_')}`;
  const subject = `/CN=${user}${groups.map((g) => `/O=${g}`).join('')}`;
  return signedCertificate(dir, name, subject, 'extendedKeyUsage=clientAuth');
}

function kubeconfigYaml(server: string, caFile: string, user: string, cert: string, key: string): string {
  const b64 = (file: string) => readFileSync(file).toString('base64');
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'test', cluster: { server, 'certificate-authority-data': b64(caFile) } }],
    users: [{ name: user, user: { 'client-certificate-data': b64(cert), 'client-key-data': b64(key) } }],
    contexts: [{ name: 'test', context: { cluster: 'test', user, namespace: 'default' } }],
    'current-context': 'test',
  });
}

async function waitForOutput(
  child: ChildProcess,
  what: string,
  ready: () => Promise<boolean>,
  timeoutMs: number,
) {
  let output = '';
  child.stdout?.on('data', (c: Buffer) => {
    output = (output + c.toString()).slice(-4000);
  });
  child.stderr?.on('data', (c: Buffer) => {
    output = (output + c.toString()).slice(-4000);
  });
  await waitFor(
    async () => {
      if (child.exitCode !== null) throw new Error(`${what} exited with ${child.exitCode}: ${output}`);
      return ready();
    },
    { timeoutMs, intervalMs: 200, what },
  ).catch((error: Error) => {
    throw new Error(`${error.message}\n--- ${what} output ---\n${output}`);
  });
}

export async function startControlPlane(options: ControlPlaneOptions = {}): Promise<ControlPlane> {
  const address = options.address ?? '127.0.0.1';
  const bin = controlPlaneBinaries();
  const dir = makeTempDir('kube');
  makeCertificates(dir, address);
  const [etcdPort, peerPort] = [await freePort(), await freePort()];
  const apiPort = await freePort(address);
  const etcdUrl = `http://127.0.0.1:${etcdPort}`;
  const etcd = spawnTracked(join(bin, 'etcd'), [
    '--data-dir',
    join(dir, 'etcd'),
    '--listen-client-urls',
    etcdUrl,
    '--advertise-client-urls',
    etcdUrl,
    '--listen-peer-urls',
    `http://127.0.0.1:${peerPort}`,
  ]);
  await waitForOutput(
    etcd,
    'etcd',
    async () => (await fetch(`${etcdUrl}/health`).catch(() => undefined))?.ok === true,
    30_000,
  );

  writeFileSync(
    join(dir, 'audit-policy.yaml'),
    'apiVersion: audit.k8s.io/v1\nkind: Policy\nomitStages: [RequestReceived]\nrules:\n- level: Metadata\n',
  );
  const auditLog = join(dir, 'audit.log');
  const apiserverArgs = [
    '--etcd-servers',
    etcdUrl,
    '--cert-dir',
    join(dir, 'apiserver'),
    '--tls-cert-file',
    join(dir, 'serving.crt'),
    '--tls-private-key-file',
    join(dir, 'serving.key'),
    '--client-ca-file',
    join(dir, 'ca.crt'),
    '--secure-port',
    String(apiPort),
    '--bind-address',
    address,
    '--advertise-address',
    address,
    // On a node, the API server keeps the `kubernetes` Service's endpoints at its own address.
    '--endpoint-reconciler-type',
    options.serviceAccounts ? 'lease' : 'none',
    '--service-cluster-ip-range',
    SERVICE_CLUSTER_IP_RANGE,
    '--allow-privileged=true',
    '--authorization-mode',
    'RBAC',
    '--service-account-issuer',
    'https://localhost',
    '--service-account-key-file',
    join(dir, 'sa.pub'),
    '--service-account-signing-key-file',
    join(dir, 'sa.key'),
    ...(options.serviceAccounts ? [] : ['--disable-admission-plugins', 'ServiceAccount']),
    '--audit-policy-file',
    join(dir, 'audit-policy.yaml'),
    '--audit-log-path',
    auditLog,
    '--audit-log-mode',
    'blocking',
    ...(options.apiServerArgs ?? []),
  ];
  const admin = makeClientCertificate(dir, 'admin', ['system:masters']);
  // Logs and exec go from the API server to the kubelet, which knows the admin by this certificate.
  apiserverArgs.push(
    '--kubelet-client-certificate',
    admin.cert,
    '--kubelet-client-key',
    admin.key,
    '--kubelet-preferred-address-types',
    'InternalIP',
  );
  let apiserver = spawnTracked(join(bin, 'kube-apiserver'), apiserverArgs);
  const server = `https://${address}:${apiPort}`;
  const kubeconfigPath = join(dir, 'admin.kubeconfig');
  writeFileSync(kubeconfigPath, kubeconfigYaml(server, join(dir, 'ca.crt'), 'admin', admin.cert, admin.key));
  const kubeApi = KubeClient.fromKubeconfig(kubeconfigPath, {
    fieldManager: 'test-setup',
    userAgent: 'test-setup',
  });
  const waitUntilReady = () =>
    waitForOutput(
      apiserver,
      'kube-apiserver',
      async () => {
        const ready = await kubeApi.request('GET', '/readyz').then(
          () => true,
          () => false,
        );
        return (
          ready &&
          (await kubeApi.get({ apiVersion: 'v1', kind: 'Namespace' }, undefined, 'default')) !== undefined
        );
      },
      90_000,
    );
  await waitUntilReady();

  let namespaceCount = 0;
  const identities = new Map<string, string>();
  return {
    server,
    address,
    files: {
      dir,
      caCert: join(dir, 'ca.crt'),
      caKey: join(dir, 'ca.key'),
      serviceAccountKey: join(dir, 'sa.key'),
      adminCert: admin.cert,
      adminKey: admin.key,
    },
    kubeconfigPath,
    kubeApi,
    async newNamespace(prefix = 'test') {
      const name = `${prefix
        .toLowerCase()
        .replace(/[^a-z0-9-]/g, '-')
        .slice(0, 40)}-${++namespaceCount}-${Date.now() % 100000}`;
      await kubeApi.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
      return name;
    },
    kubeconfigFor(user, groups = []) {
      const key = `${user}|${groups.join(',')}`;
      const existing = identities.get(key);
      if (existing) return existing;
      const creds = makeClientCertificate(dir, user, groups);
      const path = join(dir, `${user.replace(/[^a-zA-Z0-9-]/g, '_')}-${identities.size}.kubeconfig`);
      writeFileSync(path, kubeconfigYaml(server, join(dir, 'ca.crt'), user, creds.cert, creds.key));
      identities.set(key, path);
      return path;
    },
    auditEvents() {
      if (!existsSync(auditLog)) return [];
      return readFileSync(auditLog, 'utf8')
        .split('\n')
        .filter((line) => line.trim() !== '')
        .map((line) => JSON.parse(line) as AuditEvent)
        .filter((event) => event.stage === 'ResponseComplete');
    },
    pids: () => [etcd.pid, apiserver.pid].filter((p): p is number => p !== undefined),
    async compactEtcd() {
      // The revision now: any read's header carries it.
      const range = await fetch(`${etcdUrl}/v3/kv/range`, {
        method: 'POST',
        body: JSON.stringify({ key: Buffer.from('/').toString('base64'), limit: 1 }),
      });
      const { header } = (await range.json()) as { header: { revision: string } };
      const compaction = await fetch(`${etcdUrl}/v3/kv/compaction`, {
        method: 'POST',
        body: JSON.stringify({ revision: header.revision, physical: true }),
      });
      if (!compaction.ok)
        throw new Error(`etcd compaction: HTTP ${compaction.status} ${await compaction.text()}`);
    },
    async stopApiServer() {
      await stopTracked(apiserver, { graceMs: 5000 });
      return async () => {
        apiserver = spawnTracked(join(bin, 'kube-apiserver'), apiserverArgs);
        await waitUntilReady();
      };
    },
    async stop() {
      kubeApi.close();
      await stopTracked(apiserver, { graceMs: 5000 });
      await stopTracked(etcd, { graceMs: 5000 });
    },
  };
}

let shared: Promise<ControlPlane> | undefined;

/** The one control plane of this test run, started on first use. */
export function controlPlane(): Promise<ControlPlane> {
  shared ??= startControlPlane();
  return shared;
}

/** Stops the shared control plane if it was started (root hook). */
export async function stopSharedControlPlane(): Promise<void> {
  if (!shared) return;
  const cp = await shared.catch(() => undefined);
  shared = undefined;
  await cp?.stop();
}
