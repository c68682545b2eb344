// ImagePrepull on the node: the DaemonSet's pods become Ready, the listed images land in the node's
// containerd store, the manifest turns Healthy, and a deleted pod comes back.
import assert from 'node:assert/strict';
import { prepullManifest } from '../support/engine-harness.js';
import { nodeCluster } from '../support/node/node-cluster.js';
import type { NodeEngine } from '../support/node/node-engine.js';
import { startNodeEngine } from '../support/node/node-engine.js';
import { pushTestImage } from '../support/oci-image.js';
import { waitFor } from '../support/processes.js';
import type { TestRegistry } from '../support/registry.js';

const POD = { apiVersion: 'v1', kind: 'Pod' } as const;
const DAEMON_SET = { apiVersion: 'apps/v1', kind: 'DaemonSet' } as const;

describe('ImagePrepull on a real node', function () {
  this.timeout(600_000);
  let node: NodeEngine;
  let registry: TestRegistry;
  let images: Record<string, string>;

  before(async () => {
    const cluster = await nodeCluster();
    registry = await cluster.startRegistry();
    // Images without a shell or sleep of their own: the copied static sleep keeps them running.
    await pushTestImage(registry, 'prepull/tools', 'v1', { marker: 'tools' });
    await pushTestImage(registry, 'prepull/base', 'v7', { marker: 'base' });
    images = { tools: `${registry.host}/prepull/tools:v1`, base: `${registry.host}/prepull/base:v7` };
    node = await startNodeEngine({ 'prepull/warm.yaml': prepullManifest('warm', images) });
  });
  after(async () => {
    await node?.engine.close();
    await registry?.stop();
  });

  const podsOf = async () =>
    (await node.engine.kube.list(POD, node.engine.namespace)).filter(
      (p) => p.metadata.labels?.['app.kubernetes.io/instance'] === 'warm',
    );
  const readyPod = async () => {
    const pods = await podsOf();
    const ready = pods.find((p) =>
      ((p.status as { conditions?: Array<{ type: string; status: string }> })?.conditions ?? []).some(
        (c) => c.type === 'Ready' && c.status === 'True',
      ),
    );
    return ready && !ready.metadata.deletionTimestamp ? ready : undefined;
  };

  it('keeps the images pulled on the node, Healthy, and brings a deleted pod back', async () => {
    const first = await node.engine.reconciler.sync('manual');
    assert.equal(first.manifests.find((m) => m.key === 'ImagePrepull/warm')?.result, 'Applied');
    const pod = await waitFor(readyPod, { timeoutMs: 180_000, intervalMs: 1_000, what: 'prepull pod Ready' });
    const onNode = await node.cluster.nodeImages();
    for (const image of Object.values(images)) assert.ok(onNode.includes(image), `${image} is on the node`);

    await waitFor(
      async () => {
        const ds = await node.engine.kube.get(DAEMON_SET, node.engine.namespace, 'warm');
        return (ds?.status as { numberReady?: number } | undefined)?.numberReady === 1;
      },
      { timeoutMs: 60_000, intervalMs: 1_000, what: 'DaemonSet status to count the ready pod' },
    );
    const report = await node.engine.reconciler.sync('schedule');
    const status = report.manifests.find((m) => m.key === 'ImagePrepull/warm')!;
    assert.equal(status.health, 'Healthy', JSON.stringify(status));

    await node.engine.cp.kubeApi.delete(POD, node.engine.namespace, pod.metadata.name);
    const again = await waitFor(
      async () => {
        const next = await readyPod();
        return next && next.metadata.uid !== pod.metadata.uid ? next : undefined;
      },
      { timeoutMs: 120_000, intervalMs: 1_000, what: 'a new prepull pod after the delete' },
    );
    assert.notEqual(again.metadata.name, pod.metadata.name);
  });
});
