// ImageSync through the whole engine: a manifest in Git, the Reconciler on the real API server, the Jobs it
// creates run locally exactly as their pods would (skopeo, the mounted authfile), and the Job controller's
// part played through the status subresource. A steady state creates no Job at all.
import assert from 'node:assert/strict';
import type { KubeObject } from '../../src/core/kube-object.js';
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

  /** Runs every Job of the namespace not yet finished, then marks it Complete as the Job controller would. */
  async function runPendingJobs(): Promise<string[]> {
    const jobs = await h.kube.list(JOB, h.namespace);
    const secrets = await h.kube.list(SECRET, h.namespace);
    const ran: string[] = [];
    for (const job of jobs.filter(
      (j) => !j.status || !(j.status as { completionTime?: string }).completionTime,
    )) {
      await runJobLocally(job, secrets);
      const now = new Date().toISOString();
      await h.cp.kubeApi.replaceStatus({
        ...job,
        status: {
          startTime: now,
          completionTime: now,
          succeeded: 1,
          conditions: [
            { type: 'SuccessCriteriaMet', status: 'True', lastProbeTime: now, lastTransitionTime: now },
            { type: 'Complete', status: 'True', lastProbeTime: now, lastTransitionTime: now },
          ],
        },
      } as KubeObject);
      ran.push(job.metadata.name);
    }
    return ran;
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
