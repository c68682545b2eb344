// kubernetes-image-puller's settings through the engine on the real API server: NAMESPACE places the
// DaemonSet (and pruning finds it there), DAEMONSET_ANNOTATIONS reach it, unknown keys are reported, not
// refused, and a DaemonSet unhealthy past CACHING_INTERVAL_HOURS has its pods re-created by an apply.
import assert from 'node:assert/strict';
import { RECREATED_AT_ANNOTATION } from '../../src/kinds/image-prepull/recreate.js';
import { type ControlPlane, controlPlane } from '../support/control-plane.js';
import { type EngineHarness, prepullManifest, startEngine } from '../support/engine-harness.js';
import { writeStatus } from '../support/status-subresource.js';

// biome-ignore lint/suspicious/noExplicitAny: tests read nested fields of stored objects
type Loose = any;

const DS = { apiVersion: 'apps/v1', kind: 'DaemonSet' };
const keeper = { 'keep.yaml': prepullManifest('keep', { busybox: 'busybox:1.36' }) };

function puller(namespace: string, extra = ''): string {
  return `apiVersion: image-gitops.io/v1alpha1
kind: KubernetesImagePuller
metadata:
  name: puller
type: Opaque
data:
  IMAGES: "java=docker.io/library/eclipse-temurin:21;"
  DAEMONSET_NAME: workspace-puller
  DAEMONSET_ANNOTATIONS: '{"team":"tools"}'
  NAMESPACE: ${namespace}
  CACHING_INTERVAL_HOURS: "1"
  OPENSHIFT_PROXY_URL: "ignored"
${extra}`;
}

describe("kubernetes-image-puller's settings through the engine", function () {
  this.timeout(120_000);
  let cp: ControlPlane;
  let h: EngineHarness | undefined;

  before(async () => {
    cp = await controlPlane();
  });
  afterEach(async () => h?.close());

  it('puts the DaemonSet in NAMESPACE with its annotations, reports unknown keys, and prunes it from there', async () => {
    const target = await cp.newNamespace('kip-target');
    h = await startEngine(
      { ...keeper, 'puller.yaml': puller(target) },
      { MAX_PRUNE_SHARE: '0.9' },
      { cluster: cp },
    );
    const report = await h.reconciler.sync('manual');
    const status = report.manifests.find((m) => m.key === 'ImagePrepull/puller');
    assert.equal(status?.result, 'Applied', JSON.stringify(status));
    assert.match(String(status?.details?.observed), /OPENSHIFT_PROXY_URL/);
    assert.match(String(status?.details?.observed), /type/);
    const ds = (await h.kube.get(DS, target, 'workspace-puller')) as Loose;
    assert.ok(ds, 'the DaemonSet is in NAMESPACE');
    assert.equal(ds.metadata.annotations.team, 'tools');
    assert.equal(ds.spec.template.metadata.annotations.team, 'tools');
    assert.equal(await h.kube.get(DS, h.namespace, 'workspace-puller'), undefined);

    await h.git.commitFiles(h.repo, { 'puller.yaml': null }, 'remove the puller');
    const pruned = await h.reconciler.sync('schedule');
    assert.equal(pruned.counts.pruned, 1, JSON.stringify(pruned.pruneRefused ?? pruned.error));
    assert.equal(await h.kube.get(DS, target, 'workspace-puller'), undefined);
  });

  it('re-creates the pods of a DaemonSet unhealthy for longer than CACHING_INTERVAL_HOURS, through an apply', async () => {
    const target = await cp.newNamespace('kip-sick');
    h = await startEngine(
      { ...keeper, 'puller.yaml': puller(target) },
      { MAX_PRUNE_SHARE: '0.9' },
      { cluster: cp },
    );
    await h.reconciler.sync('manual');
    const created = (await h.kube.get(DS, target, 'workspace-puller')) as Loose;
    // No controller runs here: play the DaemonSet controller and the kubelet. One node wanted, its pod
    // created three hours ago and not ready for two.
    await writeStatus(cp.kubeApi, {
      ...created,
      status: {
        observedGeneration: created.metadata.generation,
        desiredNumberScheduled: 1,
        updatedNumberScheduled: 1,
        numberReady: 0,
        numberAvailable: 0,
      },
    });
    const labels = created.spec.template.metadata.labels;
    const pod = (await cp.kubeApi.create({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'workspace-puller-node1', namespace: target, labels },
      spec: { containers: [{ name: 'java', image: 'docker.io/library/eclipse-temurin:21' }] },
    } as Loose)) as Loose;
    const twoHoursAgo = new Date(Date.now() - 2 * 3_600_000).toISOString();
    await writeStatus(cp.kubeApi, {
      ...pod,
      status: {
        phase: 'Pending',
        conditions: [{ type: 'Ready', status: 'False', lastTransitionTime: twoHoursAgo }],
      },
    });

    const mark = h.auditMark();
    const report = await h.reconciler.sync('schedule');
    const status = report.manifests.find((m) => m.key === 'ImagePrepull/puller');
    assert.match(String(status?.details?.observed), /re-creating/, JSON.stringify(status));
    const after = (await h.kube.get(DS, target, 'workspace-puller')) as Loose;
    assert.equal(
      after.metadata.uid,
      created.metadata.uid,
      'the same DaemonSet: its pods are replaced, it is not deleted',
    );
    const stamp = after.spec.template.metadata.annotations[RECREATED_AT_ANNOTATION];
    assert.ok(
      stamp && Date.parse(stamp) > Date.parse(twoHoursAgo),
      JSON.stringify(after.spec.template.metadata),
    );
    assert.deepEqual(
      h
        .writesSince(mark)
        .filter((w) => w.uri.includes('daemonsets'))
        .map((w) => w.verb),
      ['patch'],
      'one apply, no delete',
    );

    // Within the bound of that re-creation, the next sync writes nothing to it.
    const again = h.auditMark();
    await h.reconciler.sync('schedule');
    assert.deepEqual(
      h.writesSince(again).filter((w) => w.uri.includes('daemonsets')),
      [],
    );
  });
});
