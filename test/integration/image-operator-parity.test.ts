// image-operator's meanings on the real control plane: a Recurrent copy at a frequency no CronJob says
// (90m) timed by the reconciler from a run record kept in the cluster, and ImageBuilder's privileged fallback
// and service account as the API server and Pod Security admission take them.

import assert from 'node:assert/strict';
import { DEFAULT_SETTINGS, type Settings } from '../../src/config/settings.js';
import type { KubeObject } from '../../src/core/kube-object.js';
import { clusterObserveContext } from '../../src/engine/observe-context.js';
import { jobCommand } from '../../src/jobs/job-template.js';
import { imageBuildKind } from '../../src/kinds/image-build/index.js';
import { observeImageSyncAt } from '../../src/kinds/image-sync/observe.js';
import { recordName } from '../../src/kinds/image-sync/recurrence.js';
import { renderImageSync } from '../../src/kinds/image-sync/render.js';
import type { ImageSyncSpec } from '../../src/kinds/image-sync/spec.js';
import type { KubeApi } from '../../src/kube/types.js';
import type { Manifest } from '../../src/manifests/types.js';
import { controlPlane } from '../support/control-plane.js';
import { pushTestImage } from '../support/oci-image.js';
import { runCommand } from '../support/processes.js';
import { startRegistry, type TestRegistry } from '../support/registry.js';
import { buildManifest, renderContext } from '../unit/image-build/fixtures.js';

const JOB = { apiVersion: 'batch/v1', kind: 'Job' };
const CONFIG_MAP = { apiVersion: 'v1', kind: 'ConfigMap' };
const T0 = new Date('2026-11-29T10:00:00Z');
const at = (minutes: number) => new Date(T0.getTime() + minutes * 60_000);

/** One reconciler round at `now`, from what the API server holds (as a freshly started reconciler sees it). */
async function round(kube: KubeApi, manifest: Manifest<ImageSyncSpec>, now: Date, settings: Settings) {
  const namespace = manifest.namespace!;
  const live = [...(await kube.list(JOB, namespace)), ...(await kube.list(CONFIG_MAP, namespace))];
  const observed = await observeImageSyncAt(
    manifest,
    clusterObserveContext(kube, settings, namespace, live),
    now,
  );
  const objects = renderImageSync(manifest, {
    namespace,
    settings,
    commit: { sha: 'c0ffee', author: 't', date: T0.toISOString(), message: 't' },
    live,
    observed,
  });
  const liveNames = new Set(live.map((o) => o.metadata.name));
  const newJobs = objects.filter((o) => o.kind === 'Job' && !liveNames.has(o.metadata.name));
  for (const object of objects) await kube.apply(object);
  return { observed, objects, newJobs };
}

describe('image-operator parity on the control plane', function () {
  this.timeout(300_000);
  let registry: TestRegistry;

  before(async () => {
    registry = await startRegistry();
    await pushTestImage(registry, 'base/app', '1.0', { marker: 'first' });
  });
  after(async () => {
    await registry?.stop();
  });

  it('copies a 90m Recurrent sync when its last run is 90 minutes old, from a record read back from the cluster', async () => {
    const cp = await controlPlane();
    const kube = cp.kubeApi;
    const namespace = await cp.newNamespace('every90m');
    const settings = DEFAULT_SETTINGS;
    const manifest: Manifest<ImageSyncSpec> = {
      key: `ImageSync/${namespace}/app`,
      kind: 'ImageSync',
      name: 'app',
      namespace,
      spec: {
        source: { image: `${registry.host}/base/app`, tag: '1.0' },
        destination: { image: `${registry.host}/mirror/app` },
        mode: 'Recurrent',
        schedule: '90m',
        registries: [{ host: registry.host, tlsVerify: false }],
      },
      origin: { file: 'app.yaml', line: 1, apiVersion: 'image-gitops.io/v1alpha1', kind: 'ImageSync' },
    };
    const record = async () =>
      (await kube.get(CONFIG_MAP, namespace, recordName(manifest)))?.data as Record<string, string>;

    // First run at once: a copy Job and the record, no CronJob.
    const first = await round(kube, manifest, T0, settings);
    assert.equal(first.newJobs.length, 1);
    assert.ok(!first.objects.some((o) => o.kind === 'CronJob'));
    assert.deepEqual(await record(), {
      lastRun: T0.toISOString(),
      nextDue: at(90).toISOString(),
      spec: (await record()).spec,
      runComplete: 'true',
    });
    // The copy, as its pod would run it.
    await runCommand('sh', ['-ec', jobCommand(first.newJobs[0]!)?.[2] ?? 'false']);

    // 30 minutes on: nothing due, nothing written (the record keeps its resourceVersion), no registry asked.
    const version = (await kube.get(CONFIG_MAP, namespace, recordName(manifest)))?.metadata.resourceVersion;
    const quiet = await round(kube, manifest, at(30), settings);
    assert.equal(quiet.observed.run?.due, false);
    assert.equal(quiet.newJobs.length, 0);
    assert.match(quiet.observed.message, /next run due at 2026-11-29T11:30:00\.000Z/);
    assert.equal(
      (await kube.get(CONFIG_MAP, namespace, recordName(manifest)))?.metadata.resourceVersion,
      version,
    );

    // The source tag moves; at 60 minutes it is still not time.
    await pushTestImage(registry, 'base/app', '1.0', { marker: 'moved' });
    assert.equal((await round(kube, manifest, at(60), settings)).newJobs.length, 0);

    // At 91 minutes the run is due: the moved tag is copied, and the record says when the next one is.
    const second = await round(kube, manifest, at(91), settings);
    assert.equal(second.observed.run?.due, true);
    assert.equal(second.newJobs.length, 1);
    assert.equal((await record()).lastRun, at(91).toISOString());
    assert.equal((await record()).nextDue, at(181).toISOString());
    assert.equal((await kube.list(JOB, namespace)).length, 2);
  });

  it("stores the privileged build Job with its service account, which Pod Security admits only where it is 'privileged'", async () => {
    const cp = await controlPlane();
    const kube = cp.kubeApi;
    const settings: Settings = { ...DEFAULT_SETTINGS, imageBuild: { privileged: true } };
    const namespace = await cp.newNamespace('privbuild');
    const manifest = { ...buildManifest({ serviceAccountName: 'builder' }), namespace };
    const objects = imageBuildKind.render(manifest, renderContext({ settings }));
    for (const object of objects) await kube.apply(object);
    const job = objects.find((o) => o.kind === 'Job')!;
    const stored = (await kube.get(JOB, namespace, job.metadata.name)) as KubeObject;
    const pod = (stored.spec as { template: { spec: Record<string, unknown> } }).template.spec as {
      serviceAccountName: string;
      containers: Array<{ name: string; securityContext: { privileged: boolean } }>;
    };
    assert.equal(pod.serviceAccountName, 'builder');
    assert.equal(pod.containers.find((c) => c.name === 'build')?.securityContext.privileged, true);

    const podFrom = (ns: string) => ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'build-template', namespace: ns },
      spec: pod,
    });
    for (const [level, admitted] of [
      ['baseline', false],
      ['privileged', true],
    ] as const) {
      const ns = await cp.newNamespace(`psa-${level}`);
      await kube.apply({
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name: ns, labels: { 'pod-security.kubernetes.io/enforce': level } },
      });
      await kube.apply({
        apiVersion: 'v1',
        kind: 'ServiceAccount',
        metadata: { name: 'builder', namespace: ns },
      });
      if (admitted) assert.ok(await kube.create(podFrom(ns)));
      else await assert.rejects(kube.create(podFrom(ns)), /privileged|forbidden/i);
    }
  });
});
