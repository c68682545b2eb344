// ImageSync on the real control plane (etcd + kube-apiserver): credentials read from a real Secret, the
// rendered Secret, Jobs and CronJob accepted by server-side apply, the Job's pod template admitted under the
// "restricted" Pod Security Standard, and a re-sync or a steady state creating no new Job.

import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_SETTINGS, type Settings } from '../../src/config/settings.js';
import type { KubeObject } from '../../src/core/kube-object.js';
import { clusterObserveContext } from '../../src/engine/observe-context.js';
import { JOB_PATHS, jobCommand } from '../../src/jobs/job-template.js';
import { imageSyncKind } from '../../src/kinds/image-sync/index.js';
import type { ImageSyncObserved } from '../../src/kinds/image-sync/observe.js';
import type { ImageSyncSpec } from '../../src/kinds/image-sync/spec.js';
import type { ObserveContext } from '../../src/kinds/types.js';
import type { KubeApi } from '../../src/kube/types.js';
import type { Manifest } from '../../src/manifests/types.js';
import { controlPlane } from '../support/control-plane.js';
import { copiesOf, failJob } from '../support/job-controller.js';
import { kindRound } from '../support/kind-round.js';
import { pushTestImage } from '../support/oci-image.js';
import { runCommand } from '../support/processes.js';
import { startRegistry, type TestRegistry } from '../support/registry.js';
import { makeTempDir } from '../support/tmp.js';

const JOB = { apiVersion: 'batch/v1', kind: 'Job' };
const settings: Settings = {
  ...DEFAULT_SETTINGS,
  imageSync: { ...DEFAULT_SETTINGS.imageSync, maxJobsPerManifest: 2, tagsPerJob: 2 },
};

function manifest(name: string, namespace: string, spec: ImageSyncSpec): Manifest<ImageSyncSpec> {
  return {
    key: `ImageSync/${namespace}/${name}`,
    kind: 'ImageSync',
    name,
    namespace,
    spec,
    origin: { file: `${name}.yaml`, line: 1, apiVersion: 'image-gitops.io/v1alpha1', kind: 'ImageSync' },
  };
}

function observeContext(kube: KubeApi, namespace: string, live: KubeObject[]): ObserveContext {
  return clusterObserveContext(kube, settings, namespace, live);
}

async function sync(
  kube: KubeApi,
  m: Manifest<ImageSyncSpec>,
): Promise<{ observed: ImageSyncObserved; objects: KubeObject[] }> {
  const namespace = m.namespace!;
  const live = await kube.list(JOB, namespace);
  const { observed, objects } = await kindRound(imageSyncKind, m, observeContext(kube, namespace, live));
  for (const object of objects) await kube.apply(object);
  return { observed, objects };
}

describe('ImageSync on the control plane', function () {
  this.timeout(300_000);
  const auth = { username: 'puller', password: 'not-in-any-job' };
  let source: TestRegistry;
  let destination: TestRegistry;

  before(async () => {
    [source, destination] = await Promise.all([startRegistry(), startRegistry({ auth })]);
    for (const tag of ['v1.0.0', 'v1.1.0', 'v1.2.0']) await pushTestImage(source, 'team/app', tag);
  });
  after(async () => {
    await Promise.all([source, destination].filter(Boolean).map((r) => r.stop()));
  });

  it('applies the rendered Secret and Jobs, admits their pods as restricted, and re-syncs without new Jobs', async () => {
    const cp = await controlPlane();
    const kube = cp.kubeApi;
    const namespace = await cp.newNamespace('sync');
    await kube.apply({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: namespace, labels: { 'pod-security.kubernetes.io/enforce': 'restricted' } },
    });
    await kube.apply({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'dest-creds', namespace, labels: { 'image-gitops.io/usable-by-manifests': 'true' } },
      type: 'kubernetes.io/dockerconfigjson',
      data: {
        '.dockerconfigjson': Buffer.from(
          JSON.stringify({
            auths: { [destination.host]: { username: auth.username, password: auth.password } },
          }),
        ).toString('base64'),
      },
    });
    const m = manifest('team-app', namespace, {
      source: { image: `${source.host}/team/app` },
      destination: { image: `${destination.host}/team/app` },
      tags: { pattern: 'v1.x.x' },
      registries: [
        { host: source.host, tlsVerify: false },
        { host: destination.host, tlsVerify: false, credentialsSecret: 'dest-creds' },
      ],
    });

    const first = await sync(kube, m);
    const jobs = await kube.list(JOB, namespace);
    assert.equal(jobs.length, 2, '3 tags, 2 per Job');
    const secretName = first.objects.find((o) => o.kind === 'Secret')?.metadata.name;
    const storedSecret = await kube.get({ apiVersion: 'v1', kind: 'Secret' }, namespace, secretName!);
    assert.ok(storedSecret, 'the files Secret is stored');
    for (const job of jobs) {
      assert.ok(!JSON.stringify(job).includes(auth.password));
      const spec = job.spec as Record<string, unknown>;
      assert.equal(spec.backoffLimit, settings.jobs.backoffLimit);
      assert.equal(spec.ttlSecondsAfterFinished, settings.jobs.ttlSecondsAfterFinished);
    }

    // A pod made from the Job's template passes the "restricted" Pod Security admission.
    const template = (jobs[0]!.spec as { template: { spec: Record<string, unknown> } }).template;
    await kube.create({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'template-check', namespace },
      spec: template.spec,
    });
    await assert.rejects(
      kube.create({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'unhardened', namespace },
        spec: { containers: [{ name: 'c', image: settings.images.skopeo }] },
      }),
      /restricted|forbidden/i,
      'the namespace really enforces "restricted"',
    );

    // A re-sync while the Jobs run renders the same Jobs and no new one.
    const second = await sync(kube, m);
    assert.deepEqual(
      second.objects
        .filter((o) => o.kind === 'Job')
        .map((o) => o.metadata.name)
        .sort(),
      jobs.map((j) => j.metadata.name).sort(),
    );
    assert.equal((await kube.list(JOB, namespace)).length, 2);

    // Once the copies are made (run here as the pods would), the destination matches: nothing pending.
    // The authfile comes from the Secret as stored by the API server, written where the Job mounts it.
    const mountDir = makeTempDir('stored-auth');
    const stored = (storedSecret.data as Record<string, string>)['auth.json']!;
    writeFileSync(join(mountDir, 'auth.json'), Buffer.from(stored, 'base64'));
    for (const job of jobs) {
      const script = jobCommand(job)?.[2] ?? '';
      assert.match(script, /--authfile /);
      await runCommand('sh', ['-ec', script.split(JOB_PATHS.authDir).join(mountDir)]);
    }
    const third = await sync(kube, m);
    assert.equal(third.observed.pending.length, 0);
    assert.equal(third.observed.upToDate, 3);
  });

  it('a failed copy Job holds its tags until its TTL: no retry of them, new tags still copied, released once it is gone', async () => {
    const cp = await controlPlane();
    const kube = cp.kubeApi;
    const namespace = await cp.newNamespace('held');
    for (const tag of ['v2.0.0', 'v2.1.0', 'v2.2.0']) await pushTestImage(source, 'team/held', tag);
    const m = manifest('held', namespace, {
      source: { image: `${source.host}/team/held` },
      destination: { image: `${source.host}/copies/held` },
      tags: { pattern: 'v2.x.x' },
      registries: [{ host: source.host, tlsVerify: false }],
    });
    await sync(kube, m);
    const jobs = await kube.list(JOB, namespace);
    assert.deepEqual(jobs.map(copiesOf).sort(), [['v2.0.0'], ['v2.1.0', 'v2.2.0']]);
    const failed = jobs.find((j) => copiesOf(j).length === 2)!;
    await failJob(kube, failed);

    // A new tag arrives while the failed Job is still there (one slot free: the other Job is running).
    await pushTestImage(source, 'team/held', 'v2.3.0');
    const second = await sync(kube, m);
    assert.equal(second.observed.pending.length, 4, 'nothing was copied');
    const afterFailure = await kube.list(JOB, namespace);
    assert.equal(afterFailure.length, 3);
    assert.deepEqual(
      afterFailure.map(copiesOf).sort(),
      [['v2.0.0'], ['v2.1.0', 'v2.2.0'], ['v2.3.0']],
      "the failed Job's tags are in no new Job: no hot retry loop",
    );
    const stored = afterFailure.find((j) => j.metadata.name === failed.metadata.name)!;
    assert.equal(stored.metadata.uid, failed.metadata.uid, 'the failed Job is kept, not replaced');

    // Its TTL (ttlSecondsAfterFinished) ends it; no TTL controller runs here, so delete it as that would. The
    // two other Jobs do their copies (run here as their pods would) and go too.
    assert.equal(
      (stored.spec as { ttlSecondsAfterFinished?: number }).ttlSecondsAfterFinished,
      settings.jobs.ttlSecondsAfterFinished,
    );
    for (const job of afterFailure) {
      if (job.metadata.name !== failed.metadata.name)
        await runCommand('sh', ['-ec', jobCommand(job)?.[2] ?? 'false']);
      await kube.delete(JOB, namespace, job.metadata.name, { propagationPolicy: 'Background' });
    }
    const third = await sync(kube, m);
    assert.deepEqual(third.observed.pending.map((c) => c.sourceRef).sort(), ['v2.1.0', 'v2.2.0']);
    const released = await kube.list(JOB, namespace);
    assert.deepEqual(released.map(copiesOf), [['v2.1.0', 'v2.2.0']], 'released once the failed Job is gone');
    assert.notEqual(released[0]?.metadata.uid, failed.metadata.uid, 'a new Job');
  });

  it('creates no Job at all for a sync that is already in place, and applies the CronJob of a Recurrent sync', async () => {
    const cp = await controlPlane();
    const kube = cp.kubeApi;
    const namespace = await cp.newNamespace('steady');
    await pushTestImage(source, 'base/tool', '1.0');
    await runCommand('skopeo', [
      'copy',
      '--all',
      '--src-tls-verify=false',
      '--dest-tls-verify=false',
      `docker://${source.host}/base/tool:1.0`,
      `docker://${source.host}/mirror/tool:1.0`,
    ]);
    const steady = await sync(
      kube,
      manifest('tool', namespace, {
        source: { image: `${source.host}/base/tool`, tag: '1.0' },
        destination: { image: `${source.host}/mirror/tool` },
        registries: [{ host: source.host, tlsVerify: false }],
      }),
    );
    assert.equal(steady.observed.upToDate, 1);
    assert.deepEqual(steady.objects, []);
    assert.deepEqual(await kube.list(JOB, namespace), []);

    const recurrent = await sync(
      kube,
      manifest('tool-daily', namespace, {
        source: { image: `${source.host}/base/tool`, tag: '1.0' },
        destination: { image: `${source.host}/mirror/tool` },
        schedule: '1d',
        registries: [{ host: source.host, tlsVerify: false }],
      }),
    );
    const cronName = recurrent.objects.find((o) => o.kind === 'CronJob')?.metadata.name;
    const cron = await kube.get({ apiVersion: 'batch/v1', kind: 'CronJob' }, namespace, cronName!);
    assert.ok(cron, 'the CronJob is stored');
    assert.equal((cron.spec as { schedule: string }).schedule, '0 0 * * *');
  });
});
