// RegistryMirror on the node: the mirror's StatefulSet runs on a bound volume and serves as a pull-through
// cache; its node DaemonSet writes hosts.toml into containerd's config_path on the node, so a pod whose
// image names the upstream is pulled through the mirror (the mirror's access log shows it); removing the
// manifest removes the node configuration (and puts back what was there before).
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { KubeObject } from '../../src/core/kube-object.js';
import { nodeCluster } from '../support/node/node-cluster.js';
import type { NodeEngine } from '../support/node/node-engine.js';
import { startNodeEngine } from '../support/node/node-engine.js';
import { podLogs } from '../support/node/pods.js';
import { pushTestImage } from '../support/oci-image.js';
import { runCommand, waitFor } from '../support/processes.js';
import type { TestRegistry } from '../support/registry.js';

const POD = { apiVersion: 'v1', kind: 'Pod' } as const;
const PVC = { apiVersion: 'v1', kind: 'PersistentVolumeClaim' } as const;

interface PodLike extends KubeObject {
  status?: { phase?: string; conditions?: Array<{ type: string; status: string }> };
}

const isReady = (pod: PodLike | undefined) =>
  !!pod && (pod.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');

describe('RegistryMirror on a real node', function () {
  this.timeout(900_000);
  let node: NodeEngine;
  let upstream: TestRegistry;
  let hostsToml: string;
  let before_: string;

  before(async () => {
    const cluster = await nodeCluster();
    upstream = await cluster.startRegistry();
    await pushTestImage(upstream, 'team/app', '1', {
      withBusybox: true,
      cmd: ['/bin/busybox', 'sleep', '3600'],
    });
    hostsToml = join(cluster.containerd.registryConfigDir, upstream.host, 'hosts.toml');
    before_ = readFileSync(hostsToml, 'utf8');
    const manifest = `apiVersion: image-gitops.io/v1alpha1
kind: RegistryMirror
metadata:
  name: upstream
spec:
  upstreamUrl: http://${upstream.host}
  storage:
    size: 1Gi
`;
    node = await startNodeEngine(
      { 'mirrors/upstream.yaml': manifest },
      { CONTAINERD_CONFIG_PATH: cluster.containerd.registryConfigDir },
    );
  });
  after(async () => {
    await node?.engine.close();
    await upstream?.stop();
  });

  it('runs the cache on a bound volume, points the node at it, pulls through it, and cleans up', async () => {
    const ns = node.engine.namespace;
    const first = await node.engine.reconciler.sync('manual');
    assert.equal(
      first.manifests.find((m) => m.key === 'RegistryMirror/upstream')?.result,
      'Applied',
      JSON.stringify(first.manifests),
    );

    const mirrorPod = await waitFor(
      async () => {
        const pods = (await node.engine.kube.list(
          POD,
          ns,
          'app.kubernetes.io/component=registry',
        )) as PodLike[];
        return pods.find(isReady);
      },
      { timeoutMs: 240_000, intervalMs: 1_000, what: 'the mirror pod Ready' },
    );
    const claims = await node.engine.kube.list(PVC, ns);
    assert.ok(claims.length >= 1);
    for (const claim of claims) assert.equal((claim.status as { phase: string }).phase, 'Bound');

    await waitFor(() => readFileSync(hostsToml, 'utf8') !== before_ && readFileSync(hostsToml, 'utf8'), {
      timeoutMs: 120_000,
      intervalMs: 1_000,
      what: 'the node DaemonSet to write hosts.toml',
    });
    const written = readFileSync(hostsToml, 'utf8');
    assert.match(written, /written by image-gitops for RegistryMirror/);
    assert.match(written, new RegExp(`server = "http://${upstream.host.replace(/\./g, '\\.')}"`));

    // containerd falls back to the upstream when the mirror does not answer: make sure the node reaches the
    // mirror's Service (kube-proxy has programmed it) before the pull that must go through it.
    const service = (await node.engine.kube.list({ apiVersion: 'v1', kind: 'Service' }, ns)).find(
      (s) =>
        (s.spec as { clusterIP?: string }).clusterIP &&
        (s.spec as { clusterIP?: string }).clusterIP !== 'None',
    )!;
    const clusterIp = (service.spec as { clusterIP: string }).clusterIP;
    await waitFor(
      async () =>
        (
          await runCommand('nsenter', [
            `--net=${node.cluster.network.netnsPath}`,
            '--',
            process.execPath,
            '-e',
            `fetch('http://${clusterIp}:5000/v2/').then((r) => process.stdout.write(String(r.status)))`,
          ]).catch(() => ({ stdout: '' }))
        ).stdout === '200',
      { timeoutMs: 60_000, intervalMs: 1_000, what: "the node to reach the mirror's Service" },
    );
    const appNamespace = await node.engine.cp.newNamespace('pull-through');
    await node.engine.cp.kubeApi.create({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'app', namespace: appNamespace },
      spec: {
        terminationGracePeriodSeconds: 1,
        containers: [{ name: 'app', image: `${upstream.host}/team/app:1` }],
      },
    } as KubeObject);
    await waitFor(async () => isReady((await node.engine.kube.get(POD, appNamespace, 'app')) as PodLike), {
      timeoutMs: 180_000,
      intervalMs: 1_000,
      what: 'the pod pulled through the mirror',
    });
    const mirrorLog = await podLogs(
      node.engine.cp,
      ns,
      `statefulset.kubernetes.io/pod-name=${mirrorPod.metadata.name}`,
    );
    assert.match(
      mirrorLog,
      /"(HEAD|GET) \/v2\/team\/app\/manifests\/1\?ns=[^"]*" 200/,
      `the node asked the mirror for the image:\n${mirrorLog}\n${written}`,
    );

    const report = await node.engine.reconciler.sync('schedule');
    assert.equal(report.manifests.find((m) => m.key === 'RegistryMirror/upstream')?.health, 'Healthy');

    await node.engine.git.commitFiles(
      node.engine.repo,
      { 'mirrors/upstream.yaml': null },
      'remove the mirror',
    );
    // The only manifest leaves: everything owned goes, which the mass-prune guard lets through only when told.
    const removal = await node.engine.reconciler.run('webhook', { allowMassPrune: true });
    assert.equal(removal.report.result, 'Succeeded', JSON.stringify(removal.report));
    await waitFor(() => existsSync(hostsToml) && readFileSync(hostsToml, 'utf8') === before_, {
      timeoutMs: 120_000,
      intervalMs: 1_000,
      what: 'the node configuration removed (and the earlier hosts.toml put back)',
    });
  });
});
