// The reconciler itself in the cluster: its image built here from the project's Dockerfile, installed with
// the Helm chart (and with deploy/base), a ServiceAccount token from the real token controller, RBAC as
// shipped. It syncs from the git server, a push makes images appear in the destination registry, /readyz
// and /metrics answer from the pod, and with two replicas one leads and the other takes over.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments, stringify } from 'yaml';
import type { KubeObject } from '../../src/core/kube-object.js';
import { startGitServer, type TestGitServer } from '../support/git-server.js';
import { type NodeCluster, nodeCluster } from '../support/node/node-cluster.js';
import { benchImageSettings, benchImages } from '../support/node/node-engine.js';
import { pushTestImage } from '../support/oci-image.js';
import { runCommand, waitFor } from '../support/processes.js';
import { listTags, manifestDigest, type TestRegistry } from '../support/registry.js';
import { makeTempDir } from '../support/tmp.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const POD = { apiVersion: 'v1', kind: 'Pod' } as const;
const LEASE = { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease' } as const;

interface PodLike extends KubeObject {
  status?: { podIP?: string; phase?: string; conditions?: Array<{ type: string; status: string }> };
}

function imageSync(name: string, source: TestRegistry, destination: TestRegistry, tag: string): string {
  return `apiVersion: image-gitops.io/v1alpha1
kind: ImageSync
metadata:
  name: ${name}
spec:
  source:
    image: ${source.host}/team/app
    tag: "${tag}"
  destination:
    image: ${destination.host}/mirror/app
  registries:
    - { host: ${source.host}, tlsVerify: false }
    - { host: ${destination.host}, tlsVerify: false }
`;
}

function helmBinary(): string {
  const out = execFileSync('bash', [join(root, 'test', 'kube', 'build-helm.sh')], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return out.trim().split('\n').pop()!;
}

const isReady = (pod: PodLike) =>
  !pod.metadata.deletionTimestamp &&
  (pod.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');

describe('the reconciler running in the cluster from its own image', function () {
  this.timeout(900_000);
  let cluster: NodeCluster;
  let git: TestGitServer;
  let source: TestRegistry;
  let destination: TestRegistry;
  let images: Record<string, string>;

  before(async () => {
    cluster = await nodeCluster();
    images = await benchImages(cluster, ['busybox', 'skopeo', 'buildah', 'registry', 'reconciler']);
    git = await startGitServer({ address: cluster.network.hostAddress });
    source = await cluster.startRegistry();
    destination = await cluster.startRegistry();
    for (const tag of ['1.0', '1.1'])
      await pushTestImage(source, 'team/app', tag, { architectures: ['amd64', 'arm64'] });
  });
  after(async () => {
    await git?.stop();
    await source?.stop();
    await destination?.stop();
  });

  const kube = () => cluster.controlPlane.kubeApi;
  const pods = async (namespace: string, selector: string) =>
    (await kube().list(POD, namespace, selector)) as PodLike[];
  const leaseHolder = async (namespace: string, lease: string) =>
    ((await kube().get(LEASE, namespace, lease))?.spec as { holderIdentity?: string } | undefined)
      ?.holderIdentity;
  const copied = (tag: string) =>
    waitFor(async () => (await listTags(destination, 'mirror/app')).includes(tag), {
      timeoutMs: 240_000,
      intervalMs: 2_000,
      what: `${tag} in the destination registry`,
    });

  it('installed with the Helm chart: syncs, copies on a push, answers /readyz and /metrics, hands over the lead', async () => {
    const namespace = await cluster.controlPlane.newNamespace('helm');
    const url = await git.createRepo('helm-config', {
      'sync/app.yaml': imageSync('app', source, destination, '1.0'),
    });
    const [repository, tag] = splitImage(images.reconciler!);
    const values = join(makeTempDir('helm-values'), 'values.yaml');
    writeFileSync(
      values,
      stringify({
        image: { repository, tag },
        git: { url },
        sync: { schedule: '10s' },
        leaderElection: { leaseDurationSeconds: 10 },
        extraEnv: Object.entries(benchImageSettings(images as never)).map(([name, value]) => ({
          name,
          value,
        })),
      }),
    );
    await runCommand(
      helmBinary(),
      [
        'install',
        'igo',
        join(root, 'deploy', 'helm', 'image-gitops'),
        '--kubeconfig',
        cluster.controlPlane.kubeconfigPath,
        '--namespace',
        namespace,
        '--values',
        values,
        '--wait',
        '--timeout',
        '5m',
      ],
      { timeoutMs: 360_000 },
    );
    const selector = 'app.kubernetes.io/instance=igo';
    const running = await waitFor(
      async () => {
        const ready = (await pods(namespace, selector)).filter(isReady);
        return ready.length === 2 ? ready : undefined;
      },
      { timeoutMs: 180_000, intervalMs: 1_000, what: 'two Ready reconciler pods' },
    );

    await copied('1.0');
    assert.equal(
      await manifestDigest(destination, 'mirror/app', '1.0'),
      await manifestDigest(source, 'team/app', '1.0'),
    );
    await git.commitFiles('helm-config', {
      'sync/app-1-1.yaml': imageSync('app-1-1', source, destination, '1.1'),
    });
    await copied('1.1');

    const leader = await waitFor(() => leaseHolder(namespace, 'image-gitops-leader'), {
      timeoutMs: 60_000,
      what: 'a Lease holder',
    });
    const leaderPod = running.find((p) => p.metadata.name === leader);
    assert.ok(leaderPod, `the Lease is held by one of the pods (${leader})`);
    const readyz = await fetch(`http://${leaderPod.status!.podIP}:8080/readyz`);
    assert.equal(readyz.status, 200);
    const metrics = await (await fetch(`http://${leaderPod.status!.podIP}:8080/metrics`)).text();
    assert.match(metrics, /^image_gitops_\w+/m);

    await kube().delete(POD, namespace, leader!);
    const next = await waitFor(
      async () => {
        const holder = await leaseHolder(namespace, 'image-gitops-leader');
        return holder && holder !== leader ? holder : undefined;
      },
      { timeoutMs: 120_000, intervalMs: 1_000, what: 'the other replica to take the Lease' },
    );
    assert.ok(
      running.some((p) => p.metadata.name === next),
      'the standby replica took over',
    );
    await runCommand(helmBinary(), [
      'uninstall',
      'igo',
      '--kubeconfig',
      cluster.controlPlane.kubeconfigPath,
      '--namespace',
      namespace,
      '--wait',
    ]);
  });

  it('installed from deploy/base: syncs from the git server with the shipped RBAC', async () => {
    const url = await git.createRepo('base-config', {
      'sync/base.yaml': imageSync('base', source, destination, '1.1').replace('mirror/app', 'base/app'),
    });
    const rendered = (await runCommand('kubectl', ['kustomize', join(root, 'deploy', 'base')])).stdout;
    const objects = parseAllDocuments(rendered)
      .map((d) => d.toJSON() as KubeObject)
      .filter((o) => o && o.kind !== 'ServiceMonitor');
    for (const object of objects) {
      if (object.kind === 'Deployment') pointDeployment(object, images, url);
      await kube().apply(object, { force: true });
    }
    const ready = await waitFor(
      async () => {
        const list = (await pods('image-gitops', 'app.kubernetes.io/name=image-gitops')).filter(isReady);
        return list.length === 2 ? list : undefined;
      },
      { timeoutMs: 240_000, intervalMs: 1_000, what: 'two Ready pods from deploy/base' },
    );
    assert.equal(ready.length, 2);
    await waitFor(async () => (await listTags(destination, 'base/app')).includes('1.1'), {
      timeoutMs: 240_000,
      intervalMs: 2_000,
      what: 'the deploy/base reconciler to copy 1.1',
    });
  });
});

function splitImage(reference: string): [string, string] {
  const at = reference.lastIndexOf(':');
  return [reference.slice(0, at), reference.slice(at + 1)];
}

/** The overlay a user writes: our image, the bench's repository, a short schedule, the bench's images. */
function pointDeployment(deployment: KubeObject, images: Record<string, string>, url: string): void {
  const pod = (deployment.spec as { template: { spec: { containers: Array<Record<string, unknown>> } } })
    .template.spec;
  const container = pod.containers[0]!;
  container.image = images.reconciler;
  const env = container.env as Array<{ name: string; value?: string }>;
  const set = (name: string, value: string) => {
    const existing = env.find((e) => e.name === name);
    if (existing) existing.value = value;
    else env.push({ name, value });
  };
  set('GIT_URL', url);
  set('SYNC_SCHEDULE', '10s');
  for (const [name, value] of Object.entries(benchImageSettings(images as never))) set(name, value);
}
