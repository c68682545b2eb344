// ImageBackup on the real control plane (etcd + kube-apiserver): workloads of every type created in fresh
// namespaces are found by the observe step through the real API (ignored and labelled namespaces left out),
// the rendered Secret and copy Jobs are accepted by server-side apply, and the workload rewrite is applied
// with its own field manager and undone, the original images coming back.

import assert from 'node:assert/strict';
import { DEFAULT_SETTINGS, type Settings } from '../../src/config/settings.js';
import type { KubeObject } from '../../src/core/kube-object.js';
import { clusterObserveContext } from '../../src/engine/observe-context.js';
import { imageBackupKind } from '../../src/kinds/image-backup/index.js';
import { type ImageBackupObserved, observeWorkloads } from '../../src/kinds/image-backup/observe.js';
import type { WorkloadRewrite } from '../../src/kinds/image-backup/rewrite.js';
import { planWorkloadRewrites, REWRITE_FIELD_MANAGER } from '../../src/kinds/image-backup/rewrite.js';
import type { ImageBackupSpec } from '../../src/kinds/image-backup/types.js';
import type { ObserveContext } from '../../src/kinds/types.js';
import { KubeClient, loadKubeConfig } from '../../src/kube/client.js';
import type { KubeApi } from '../../src/kube/types.js';
import type { Manifest } from '../../src/manifests/types.js';
import { type ControlPlane, controlPlane } from '../support/control-plane.js';
import { copiesOf, failJob } from '../support/job-controller.js';
import { kindRound } from '../support/kind-round.js';
import { pushTestImage } from '../support/oci-image.js';
import { startRegistry, type TestRegistry } from '../support/registry.js';
import { runJobLocally } from '../support/run-job.js';

/**
 * Applies planned rewrites as the engine's writer does (server-side apply under the rewrite's field manager),
 * each failure kept: here the plan's patches themselves are put to the real API server.
 */
async function applyRewrites(
  rewriter: KubeClient,
  plan: readonly WorkloadRewrite[],
): Promise<Array<{ object: WorkloadRewrite['object']; error?: string }>> {
  const results: Array<{ object: WorkloadRewrite['object']; error?: string }> = [];
  for (const step of plan) {
    try {
      await rewriter.apply(step.patch, { force: true });
      results.push({ object: step.object });
    } catch (error) {
      results.push({ object: step.object, error: error instanceof Error ? error.message : String(error) });
    }
  }
  return results;
}

const JOB = { apiVersion: 'batch/v1', kind: 'Job' };
const settings: Settings = DEFAULT_SETTINGS;

function observeContext(kube: KubeApi, namespace: string, live: KubeObject[]): ObserveContext {
  return clusterObserveContext(kube, settings, namespace, live);
}

function manifest(namespace: string, spec: ImageBackupSpec): Manifest<ImageBackupSpec> {
  return {
    key: `ImageBackup/${namespace}/backup`,
    kind: 'ImageBackup',
    name: 'backup',
    namespace,
    spec,
    origin: { file: 'backup.yaml', line: 1, apiVersion: 'image-gitops.io/v1alpha1', kind: 'ImageBackup' },
  };
}

/** Observe, render and apply the way the engine does for one manifest. */
async function backupRound(kube: KubeApi, m: Manifest<ImageBackupSpec>) {
  const namespace = m.namespace!;
  const live = await kube.list(JOB, namespace);
  const round = await kindRound(imageBackupKind, m, observeContext(kube, namespace, live));
  for (const object of round.objects) await kube.apply(object);
  return round;
}

const pod = (
  containers: Array<{ name: string; image: string }>,
  init?: Array<{ name: string; image: string }>,
) => ({
  ...(init ? { initContainers: init } : {}),
  containers,
});
const template = (labels: Record<string, string>, spec: Record<string, unknown>) => ({
  selector: { matchLabels: labels },
  template: { metadata: { labels }, spec },
});

interface PodSpecView {
  containers: Array<{ name: string; image: string }>;
  initContainers?: Array<{ name: string; image: string }>;
}

function podSpecOf(object: KubeObject | undefined): PodSpecView {
  const spec = object?.spec as { template: { spec: PodSpecView } } & {
    jobTemplate: { spec: { template: { spec: PodSpecView } } };
  };
  if (object?.kind === 'Pod') return spec as unknown as PodSpecView;
  if (object?.kind === 'CronJob') return spec.jobTemplate.spec.template.spec;
  return spec.template.spec;
}

describe('ImageBackup on the control plane', function () {
  this.timeout(300_000);
  const auth = { username: 'backup', password: 'never-in-a-job' };
  let source: TestRegistry;
  let backup: TestRegistry;
  let cp: ControlPlane;
  let apps: string;
  let tools: string;
  let ignored: string;
  let disabled: string;
  let home: string;
  const img = (repo: string) => `${source.host}/${repo}`;

  before(async () => {
    [source, backup] = await Promise.all([startRegistry(), startRegistry({ auth })]);
    for (const [repo, tag] of [
      ['team/web', '1.0'],
      ['team/db', '2.0'],
      ['team/setup', '1'],
      ['team/report', '3'],
      ['team/debug', '4'],
      ['team/hidden', '9'],
    ] as const)
      await pushTestImage(source, repo, tag);
    cp = await controlPlane();
    const kube = cp.kubeApi;
    [apps, tools, ignored, disabled, home] = [
      await cp.newNamespace('apps'),
      await cp.newNamespace('tools'),
      await cp.newNamespace('ignored'),
      await cp.newNamespace('disabled'),
      await cp.newNamespace('backup-home'),
    ];
    await kube.apply({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: disabled, labels: { 'image-gitops.io/backup': 'disabled' } },
    });
    const web = { app: 'web' };
    const objects: KubeObject[] = [
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'web', namespace: apps },
        spec: template(
          web,
          pod([{ name: 'web', image: img('team/web:1.0') }], [{ name: 'setup', image: img('team/setup:1') }]),
        ),
      },
      {
        apiVersion: 'apps/v1',
        kind: 'StatefulSet',
        metadata: { name: 'db', namespace: apps },
        spec: {
          serviceName: 'db',
          ...template({ app: 'db' }, pod([{ name: 'db', image: img('team/db:2.0') }])),
        },
      },
      {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'debug', namespace: apps },
        spec: pod([{ name: 'debug', image: img('team/debug:4') }]),
      },
      {
        apiVersion: 'apps/v1',
        kind: 'DaemonSet',
        metadata: { name: 'agent', namespace: tools },
        spec: template({ app: 'agent' }, pod([{ name: 'agent', image: img('team/web:1.0') }])),
      },
      {
        apiVersion: 'batch/v1',
        kind: 'CronJob',
        metadata: { name: 'report', namespace: tools },
        spec: {
          schedule: '@daily',
          jobTemplate: {
            spec: {
              template: {
                spec: { restartPolicy: 'Never', ...pod([{ name: 'report', image: img('team/report:3') }]) },
              },
            },
          },
        },
      },
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'hidden', namespace: ignored },
        spec: template({ app: 'hidden' }, pod([{ name: 'hidden', image: img('team/hidden:9') }])),
      },
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'hidden', namespace: disabled },
        spec: template({ app: 'hidden' }, pod([{ name: 'hidden', image: img('team/hidden:9') }])),
      },
    ];
    for (const object of objects) await kube.apply(object);
    // A pod of the Deployment's (its controller owns it): covered by the Deployment, not listed itself.
    const deployment = await kube.get({ apiVersion: 'apps/v1', kind: 'Deployment' }, apps, 'web');
    await kube.create({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: 'web-abc12',
        namespace: apps,
        ownerReferences: [
          {
            apiVersion: 'apps/v1',
            kind: 'ReplicaSet',
            name: 'web-1',
            uid: deployment!.metadata.uid,
            controller: true,
          },
        ],
      },
      spec: pod([{ name: 'web', image: img('team/not-pushed:0') }]),
    });
    await kube.apply({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: {
        name: 'backup-push',
        namespace: home,
        labels: { 'image-gitops.io/usable-by-manifests': 'true' },
      },
      type: 'Opaque',
      stringData: { username: auth.username, password: auth.password },
    });
  });

  after(async () => {
    await Promise.all([source, backup].filter(Boolean).map((r) => r.stop()));
  });

  const spec = (rewrite: boolean): ImageBackupSpec => ({
    backupRegistry: `${backup.host}/backup`,
    namespaces: [apps, tools, disabled],
    rewrite,
    registries: [
      { host: source.host, tlsVerify: false },
      { host: backup.host, tlsVerify: false, credentialsSecret: 'backup-push' },
    ],
  });

  it('finds the workloads of every namespace but the ignored, labelled and kube-system ones, cluster-wide', async () => {
    const found = await observeWorkloads(
      'ImageBackup/x/y',
      { backupRegistry: 'r.example.com', ignoreNamespaces: [ignored] },
      observeContext(cp.kubeApi, home, []),
    );
    const ours = found
      .filter((w) => [apps, tools, ignored, disabled].includes(w.namespace))
      .map((w) => `${w.kind} ${w.namespace === apps ? 'apps' : 'tools'}/${w.name}`);
    assert.deepEqual(ours, [
      'CronJob tools/report',
      'DaemonSet tools/agent',
      'Deployment apps/web',
      'Pod apps/debug',
      'StatefulSet apps/db',
    ]);
    assert.ok(found.every((w) => w.namespace !== 'kube-system'));
  });

  it('renders copy Jobs the API server accepts, then rewrites the workloads with its own field manager and undoes it', async () => {
    const kube = cp.kubeApi;
    const m = manifest(home, spec(true));
    const first = await backupRound(kube, m);
    assert.deepEqual(
      first.observed.images.map((i) => [i.sourceRef.slice(source.host.length + 1), i.state]),
      [
        ['team/db:2.0', 'pending'],
        ['team/debug:4', 'pending'],
        ['team/report:3', 'pending'],
        ['team/setup:1', 'pending'],
        ['team/web:1.0', 'pending'],
      ],
    );
    const stored = await kube.list(JOB, home);
    assert.deepEqual(
      stored.map((j) => j.metadata.name),
      first.newJobs.map((j) => j.metadata.name),
    );
    assert.ok(!JSON.stringify(stored).includes(auth.password), 'no password in a Job');
    assert.deepEqual(planWorkloadRewrites(first.observed, m.spec), [], 'no rewrite before the copies exist');

    for (const job of first.newJobs) await runJobLocally(job, first.objects);
    const second = await backupRound(kube, m);
    assert.ok(second.observed.images.every((i) => i.state === 'upToDate'));
    assert.deepEqual(second.newJobs, [], 'backed-up images make no Job');

    const rewriter = new KubeClient(loadKubeConfig(cp.kubeconfigPath), {
      fieldManager: REWRITE_FIELD_MANAGER,
    });
    try {
      const plan = planWorkloadRewrites(second.observed, m.spec);
      assert.deepEqual(plan.map((r) => `${r.object.kind}/${r.object.name}`).sort(), [
        'CronJob/report',
        'DaemonSet/agent',
        'Deployment/web',
        'Pod/debug',
        'StatefulSet/db',
      ]);
      const results = await applyRewrites(rewriter, plan);
      assert.deepEqual(
        results.filter((r) => r.error),
        [],
      );

      const web = await kube.get({ apiVersion: 'apps/v1', kind: 'Deployment' }, apps, 'web');
      const webPod = podSpecOf(web);
      const backupName = (repo: string) =>
        `${backup.host}/backup/${source.host.replace(/[.:]/g, '_')}/${repo}`;
      assert.equal(webPod.containers[0]?.image, backupName('team/web:1.0'));
      assert.equal(webPod.initContainers?.[0]?.image, backupName('team/setup:1'));
      assert.deepEqual(JSON.parse(web!.metadata.annotations!['image-gitops.io/original-images']!), {
        setup: img('team/setup:1'),
        web: img('team/web:1.0'),
      });
      const managers = (web!.metadata.managedFields as Array<{ manager: string; operation: string }>).map(
        (f) => `${f.manager} ${f.operation}`,
      );
      assert.ok(managers.includes(`${REWRITE_FIELD_MANAGER} Apply`), managers.join(', '));
      const cron = await kube.get({ apiVersion: 'batch/v1', kind: 'CronJob' }, tools, 'report');
      assert.equal(podSpecOf(cron).containers[0]?.image, backupName('team/report:3'));
      const debug = await kube.get({ apiVersion: 'v1', kind: 'Pod' }, apps, 'debug');
      assert.equal(podSpecOf(debug).containers[0]?.image, backupName('team/debug:4'));

      // The rewritten workloads still stand for their original images: same copies, nothing more to do.
      const third = await backupRound(kube, m);
      assert.deepEqual(
        third.observed.images.map((i) => i.sourceRef),
        second.observed.images.map((i) => i.sourceRef),
      );
      assert.deepEqual(third.newJobs, []);
      assert.deepEqual(planWorkloadRewrites(third.observed, m.spec), [], 'steady state');

      // Undo: rewrite turned off.
      const off = manifest(home, spec(false));
      const undoObserved: ImageBackupObserved = (await backupRound(kube, off)).observed;
      const undo = planWorkloadRewrites(undoObserved, off.spec);
      assert.equal(undo.length, 5);
      assert.deepEqual(
        (await applyRewrites(rewriter, undo)).filter((r) => r.error),
        [],
      );
      const restored = await kube.get({ apiVersion: 'apps/v1', kind: 'Deployment' }, apps, 'web');
      const restoredPod = podSpecOf(restored);
      assert.equal(restoredPod.containers[0]?.image, img('team/web:1.0'));
      assert.equal(restoredPod.initContainers?.[0]?.image, img('team/setup:1'));
      assert.equal(restored?.metadata.annotations?.['image-gitops.io/original-images'], undefined);
      assert.equal(restored?.metadata.annotations?.['image-gitops.io/backup-rewrite'], undefined);
      const sts = await kube.get({ apiVersion: 'apps/v1', kind: 'StatefulSet' }, apps, 'db');
      assert.equal(podSpecOf(sts).containers[0]?.image, img('team/db:2.0'));
      const after = (await backupRound(kube, off)).observed;
      assert.deepEqual(planWorkloadRewrites(after, off.spec), [], 'nothing left to undo');
    } finally {
      rewriter.close();
    }
  });

  it('does not re-create a workload deleted between the plan and the rewrite', async () => {
    const kube = cp.kubeApi;
    const ns = await cp.newNamespace('gone');
    await kube.apply({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'short-lived', namespace: ns },
      spec: pod([{ name: 'main', image: img('team/web:1.0') }]),
    });
    const m = manifest(home, { ...spec(true), namespaces: [ns] });
    const round = await backupRound(kube, m);
    for (const job of round.newJobs) await runJobLocally(job, round.objects);
    const { observed } = await backupRound(kube, m);
    const plan = planWorkloadRewrites(observed, m.spec);
    assert.equal(plan.length, 1, 'the Pod is planned for a rewrite once its image is backed up');
    await kube.delete({ apiVersion: 'v1', kind: 'Pod' }, ns, 'short-lived', {
      propagationPolicy: 'Background',
    });
    const rewriter = new KubeClient(loadKubeConfig(cp.kubeconfigPath), {
      fieldManager: REWRITE_FIELD_MANAGER,
    });
    try {
      const [result] = await applyRewrites(rewriter, plan);
      assert.match(result?.error ?? '', /uid|precondition|conflict/i, 'the apply is refused');
    } finally {
      rewriter.close();
    }
    assert.equal(await kube.get({ apiVersion: 'v1', kind: 'Pod' }, ns, 'short-lived'), undefined);
  });
  it('a failed copy Job holds its images until its TTL: no retry of them, new images still copied, released once it is gone', async () => {
    const kube = cp.kubeApi;
    const [workloads, held] = [await cp.newNamespace('held-apps'), await cp.newNamespace('held-home')];
    for (const tag of ['1', '2']) await pushTestImage(source, 'held/app', tag);
    const deployment = (name: string, image: string): KubeObject => ({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name, namespace: workloads },
      spec: template({ app: name }, pod([{ name, image }])),
    });
    await kube.apply(deployment('one', img('held/app:1')));
    const m = manifest(held, {
      backupRegistry: `${source.host}/held-backup`,
      namespaces: [workloads],
      registries: [{ host: source.host, tlsVerify: false }],
    });
    await backupRound(kube, m);
    const [failed, ...others] = await kube.list(JOB, held);
    assert.deepEqual(others, []);
    assert.deepEqual(copiesOf(failed!), [img('held/app:1')]);
    await failJob(kube, failed!);

    // A new workload's image arrives while the failed Job is still there.
    await kube.apply(deployment('two', img('held/app:2')));
    const second = await backupRound(kube, m);
    assert.equal(second.observed.pending.length, 2, 'nothing was copied');
    const afterFailure = await kube.list(JOB, held);
    assert.deepEqual(
      afterFailure.map(copiesOf).sort(),
      [[img('held/app:1')], [img('held/app:2')]],
      "the failed Job's image is in no new Job: no hot retry loop",
    );
    assert.ok(
      afterFailure.some((j) => j.metadata.uid === failed!.metadata.uid),
      'the failed Job is kept',
    );

    // Its TTL ends it (no TTL controller here: deleted as it would); the image is then copied again.
    await kube.delete(JOB, held, failed!.metadata.name, { propagationPolicy: 'Background' });
    await backupRound(kube, m);
    const released = await kube.list(JOB, held);
    assert.deepEqual(released.map(copiesOf).sort(), [[img('held/app:1')], [img('held/app:2')]]);
    assert.ok(
      !released.some((j) => j.metadata.uid === failed!.metadata.uid),
      'a new Job for the released image',
    );
  });
});
