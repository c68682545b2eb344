// ImageSync through the whole engine: a manifest in Git, the Reconciler on the real API server, the Jobs it
// creates run locally exactly as their pods would (skopeo, the mounted authfile), and the Job controller's
// part played through the status subresource. A steady state creates no Job at all.
import assert from 'node:assert/strict';
import { completePendingJobs } from '../support/complete-jobs.js';
import { type EngineHarness, startEngine } from '../support/engine-harness.js';
import { pushTestImage } from '../support/oci-image.js';
import { listTags, manifestDigest, startRegistry, type TestRegistry } from '../support/registry.js';
import { runJobLocally } from '../support/run-job.js';

const JOB = { apiVersion: 'batch/v1', kind: 'Job' } as const;
const SECRET = { apiVersion: 'v1', kind: 'Secret' } as const;

describe('ImageSync through the engine, with skopeo and real registries', () => {
  let source: TestRegistry;
  let destination: TestRegistry;
  let h: EngineHarness;

  before(async () => {
    source = await startRegistry();
    destination = await startRegistry({ auth: { username: 'pusher', password: 'push-secret' } });
  });
  after(async () => {
    await h?.close();
    await source?.stop();
    await destination?.stop();
  });

  async function runPendingJobs(): Promise<string[]> {
    return (await completePendingJobs(h.cp.kubeApi, h.namespace)).map((job) => job.metadata.name);
  }

  it('copies every matching tag with bounded Jobs, then makes no Job until a new tag appears', async () => {
    for (const tag of ['1.0.0', '1.1.0', '1.2.0-rc1', 'latest']) {
      await pushTestImage(source, 'team/app', tag, { architectures: ['amd64', 'arm64'] });
    }
    const manifest = `apiVersion: image-gitops.io/v1alpha1
kind: ImageSync
metadata:
  name: app
spec:
  source:
    image: ${source.host}/team/app
  destination:
    image: ${destination.host}/mirror/app
  tags:
    pattern: 1.x.x
  registries:
    - host: ${source.host}
      tlsVerify: false
    - host: ${destination.host}
      tlsVerify: false
      credentialsSecret: destination-push
`;
    h = await startEngine(
      { 'sync/app.yaml': manifest },
      { SYNC_TAGS_PER_JOB: '1', SYNC_MAX_JOBS_PER_MANIFEST: '5' },
    );
    await h.cp.kubeApi.apply({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: {
        name: 'destination-push',
        namespace: h.namespace,
        labels: { 'image-gitops.io/usable-by-manifests': 'true' },
      },
      stringData: { username: 'pusher', password: 'push-secret' },
    });

    const first = await h.reconciler.sync('manual');
    assert.equal(first.result, 'Succeeded', JSON.stringify(first.manifests));
    const jobs = await h.kube.list(JOB, h.namespace);
    assert.equal(jobs.length, 2, 'one Job per tag to copy (1.0.0 and 1.1.0; no RC, no latest)');
    for (const job of jobs) {
      assert.doesNotMatch(JSON.stringify(job), /push-secret|cHVzaGVy/, 'no credential in the Job');
    }
    assert.equal((await runPendingJobs()).length, 2);
    assert.deepEqual(await listTags(destination, 'mirror/app'), ['1.0.0', '1.1.0']);
    for (const tag of ['1.0.0', '1.1.0']) {
      assert.equal(
        await manifestDigest(destination, 'mirror/app', tag),
        await manifestDigest(source, 'team/app', tag),
      );
    }

    const steady = await h.reconciler.sync('schedule');
    const status = steady.manifests.find((m) => m.key === 'ImageSync/app')!;
    assert.equal(status.health, 'Healthy');
    assert.equal((await h.kube.list(JOB, h.namespace)).length, 2, 'no new Job in a steady state');
    assert.match(String(status.details?.observed), /2 up to date/);

    await pushTestImage(source, 'team/app', '1.2.0', { architectures: ['amd64', 'arm64'] });
    await h.reconciler.sync('schedule');
    assert.equal((await runPendingJobs()).length, 1, 'one Job for the new tag only');
    assert.equal(
      await manifestDigest(destination, 'mirror/app', '1.2.0'),
      await manifestDigest(source, 'team/app', '1.2.0'),
    );
    await h.reconciler.sync('schedule');
    assert.equal((await runPendingJobs()).length, 0);
  });
});

describe('ImageSync in diff: the copy plan behind the Jobs', () => {
  let source: TestRegistry;
  let destination: TestRegistry;
  let h: EngineHarness;
  before(async () => {
    [source, destination] = await Promise.all([startRegistry(), startRegistry()]);
  });
  after(async () => {
    await h?.close();
    await Promise.all([source, destination].filter(Boolean).map((r) => r.stop()));
  });

  it('lists each tag to copy with its source digest, its destination and the digest it replaces there', async () => {
    const sourceDigest = {
      '1.0.0': await pushTestImage(source, 'team/app', '1.0.0', { marker: 'release 1.0.0' }),
      '1.1.0': await pushTestImage(source, 'team/app', '1.1.0', { marker: 'release 1.1.0' }),
    };
    // The destination has a 1.0.0 of other content (the tag moved at the source): the copy replaces it.
    const stale = await pushTestImage(destination, 'mirror/app', '1.0.0', { marker: 'an older 1.0.0' });
    h = await startEngine({
      'sync/app.yaml': `apiVersion: image-gitops.io/v1alpha1
kind: ImageSync
metadata:
  name: app
spec:
  source:
    image: ${source.host}/team/app
  destination:
    image: ${destination.host}/mirror/app
  tags:
    pattern: 1.x.x
  registries:
    - host: ${source.host}
      tlsVerify: false
    - host: ${destination.host}
      tlsVerify: false
`,
    });
    const dry = await h.reconciler.run('cli', { dryRun: true });
    const plan = dry.rendered.find((r) => r.manifest.key === 'ImageSync/app')?.imagePlan;
    assert.deepEqual(
      plan?.copies?.map((c) => [c.source, c.sourceDigest, c.destination, c.destinationDigest]).sort(),
      [
        [
          `${source.host}/team/app:1.0.0`,
          sourceDigest['1.0.0'],
          `${destination.host}/mirror/app:1.0.0`,
          stale,
        ],
        [
          `${source.host}/team/app:1.1.0`,
          sourceDigest['1.1.0'],
          `${destination.host}/mirror/app:1.1.0`,
          undefined,
        ],
      ],
    );
    assert.match(plan?.summary ?? '', /^2 images to copy in 1 new Job; 0 up to date$/);
    assert.equal((await h.kube.list(JOB, h.namespace)).length, 0, 'a dry-run creates no Job');

    // Once copied, the plan has nothing to copy and says so.
    await h.reconciler.sync('manual');
    const secrets = await h.kube.list(SECRET, h.namespace);
    for (const job of await h.kube.list(JOB, h.namespace)) await runJobLocally(job, secrets);
    const after = await h.reconciler.run('cli', { dryRun: true });
    const settled = after.rendered.find((r) => r.manifest.key === 'ImageSync/app')?.imagePlan;
    assert.equal(settled?.copies, undefined);
    assert.match(settled?.summary ?? '', /^0 images to copy; 2 up to date$/);
  });
});
