// ImageSync on the node: the copy Jobs the engine creates run as hardened pods with the bench's skopeo image,
// the manifest's status follows the pods' outcome, and a Recurrent manifest's CronJob fires on the node.
import assert from 'node:assert/strict';
import type { KubeObject } from '../../src/core/kube-object.js';
import { nodeCluster } from '../support/node/node-cluster.js';
import type { NodeEngine } from '../support/node/node-engine.js';
import { startNodeEngine } from '../support/node/node-engine.js';
import { podLogs, waitForJob } from '../support/node/pods.js';
import { startWriteGuard } from '../support/node/write-guard.js';
import { pushTestImage } from '../support/oci-image.js';
import { waitFor } from '../support/processes.js';
import { listTags, manifestDigest, type TestRegistry } from '../support/registry.js';

const JOB = { apiVersion: 'batch/v1', kind: 'Job' } as const;
const POD = { apiVersion: 'v1', kind: 'Pod' } as const;
const USABLE = { 'image-gitops.io/usable-by-manifests': 'true' };

function imageSync(
  name: string,
  source: TestRegistry,
  destination: TestRegistry,
  body: string,
  secret: string,
) {
  return `apiVersion: image-gitops.io/v1alpha1
kind: ImageSync
metadata:
  name: ${name}
spec:
${body}
  registries:
    - host: ${source.host}
      tlsVerify: false
    - host: ${destination.host}
      tlsVerify: false
      credentialsSecret: ${secret}
`;
}

describe('ImageSync on a real node', function () {
  this.timeout(600_000);
  let node: NodeEngine;
  let source: TestRegistry;
  let destination: TestRegistry;

  const jobNames = async () =>
    (await node.engine.kube.list(JOB, node.engine.namespace)).map((j) => j.metadata.name).sort();

  /** Waits for every Job of the namespace to finish; returns the ones that failed. */
  async function finishJobs(): Promise<string[]> {
    const failed: string[] = [];
    for (const name of await jobNames()) {
      const job = await waitForJob(node.engine.kube, node.engine.namespace, name);
      if (job.phase === 'Failed') failed.push(name);
    }
    return failed;
  }

  before(async () => {
    const cluster = await nodeCluster();
    source = await cluster.startRegistry();
    destination = await cluster.startRegistry({ auth: { username: 'pusher', password: 'push-secret' } });
    for (const tag of ['2.0.0', '2.1.0', '3.0.0']) {
      await pushTestImage(source, 'team/app', tag, { architectures: ['amd64', 'arm64'] });
    }
    const onceByTag = imageSync(
      'app',
      source,
      destination,
      `  source:\n    image: ${source.host}/team/app\n  destination:\n    image: ${destination.host}/mirror/app\n  tags:\n    pattern: 2.x.x`,
      'destination-push',
    );
    node = await startNodeEngine({ 'sync/app.yaml': onceByTag }, { JOB_BACKOFF_LIMIT: '0' });
    await node.engine.cp.kubeApi.apply({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'destination-push', namespace: node.engine.namespace, labels: USABLE },
      stringData: { username: 'pusher', password: 'push-secret' },
    } as KubeObject);
  });
  after(async () => {
    await node?.engine.close();
    await source?.stop();
    await destination?.stop();
  });

  it('copies multi-arch tags in hardened pods, reports success from their outcome, then makes no Job', async () => {
    const first = await node.engine.reconciler.sync('manual');
    assert.equal(first.result, 'Succeeded', JSON.stringify(first.manifests));
    assert.equal((await jobNames()).length, 1, 'one Job copies 2.0.0 and 2.1.0');
    assert.deepEqual(await finishJobs(), [], 'the copy Job succeeded on the node');

    const pods = await node.engine.kube.list(POD, node.engine.namespace);
    assert.ok(pods.length >= 1);
    for (const pod of pods) {
      const spec = pod.spec as {
        securityContext: { runAsNonRoot?: boolean; seccompProfile?: { type: string } };
        containers: Array<{ securityContext: Record<string, unknown>; image: string }>;
      };
      assert.equal(spec.securityContext.runAsNonRoot, true);
      assert.equal(spec.securityContext.seccompProfile?.type, 'RuntimeDefault');
      const container = spec.containers[0]!;
      assert.equal(container.image, node.images.skopeo);
      assert.equal(container.securityContext.readOnlyRootFilesystem, true);
      assert.equal(container.securityContext.allowPrivilegeEscalation, false);
      assert.deepEqual(container.securityContext.capabilities, { drop: ['ALL'] });
      assert.equal((pod.status as { phase: string }).phase, 'Succeeded');
    }
    assert.deepEqual(await listTags(destination, 'mirror/app'), ['2.0.0', '2.1.0']);
    for (const tag of ['2.0.0', '2.1.0']) {
      assert.equal(
        await manifestDigest(destination, 'mirror/app', tag),
        await manifestDigest(source, 'team/app', tag),
        `${tag}: the index copied whole (both platforms)`,
      );
    }

    const steady = await node.engine.reconciler.sync('schedule');
    const status = steady.manifests.find((m) => m.key === 'ImageSync/app')!;
    assert.equal(status.health, 'Healthy', JSON.stringify(status));
    assert.match(String(status.details?.observed), /2 up to date/);
    const before = await jobNames();
    await node.engine.reconciler.sync('schedule');
    assert.deepEqual(await jobNames(), before, 'a steady state makes no Job');

    await pushTestImage(source, 'team/app', '2.2.0', { architectures: ['amd64', 'arm64'] });
    await node.engine.reconciler.sync('schedule');
    const added = (await jobNames()).filter((name) => !before.includes(name));
    assert.equal(added.length, 1, 'exactly one Job for the new tag');
    assert.deepEqual(await finishJobs(), []);
    assert.equal(
      await manifestDigest(destination, 'mirror/app', '2.2.0'),
      await manifestDigest(source, 'team/app', '2.2.0'),
    );
  });

  it("shows a copy that fails on the node (wrong credentials) as failed, with the pod's reason", async () => {
    // Reads are public, writes need the password: observe succeeds, the push in the pod is refused.
    const open = await node.cluster.startRegistry();
    const guarded = await startWriteGuard(open, node.cluster.network.hostAddress, {
      username: 'pusher',
      password: 'push-secret',
    });
    node.cluster.trustInsecureRegistry(guarded.host);
    const denied = { ...destination, host: guarded.host };
    await node.engine.cp.kubeApi.apply({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'wrong-push', namespace: node.engine.namespace, labels: USABLE },
      stringData: { username: 'pusher', password: 'not-the-password' },
    } as KubeObject);
    await node.engine.git.commitFiles(node.engine.repo, {
      'sync/denied.yaml': imageSync(
        'denied',
        source,
        denied,
        `  source:\n    image: ${source.host}/team/app\n    tag: 3.0.0\n  destination:\n    image: ${guarded.host}/denied/app`,
        'wrong-push',
      ),
    });
    await node.engine.reconciler.sync('webhook');
    const jobs = (await node.engine.kube.list(JOB, node.engine.namespace)).filter((j) =>
      JSON.stringify(j).includes('denied/app'),
    );
    assert.equal(jobs.length, 1);
    const outcome = await waitForJob(node.engine.kube, node.engine.namespace, jobs[0]!.metadata.name);
    assert.equal(outcome.phase, 'Failed');
    const logs = await podLogs(node.engine.cp, node.engine.namespace, `job-name=${jobs[0]!.metadata.name}`);
    assert.match(logs, /unauthorized|authentication required/i, 'skopeo was refused by the registry');
    assert.doesNotMatch(logs, /not-the-password/);

    const report = await node.engine.reconciler.sync('schedule');
    const status = report.manifests.find((m) => m.key === 'ImageSync/denied')!;
    assert.equal(status.health, 'Failed', JSON.stringify(status));
    assert.match(JSON.stringify(status), /unauthorized|authentication required/i, 'the pod says why');
    assert.doesNotMatch(JSON.stringify(report), /not-the-password|bm90LXRoZS1wYXNzd29yZA/);
    await guarded.stop();
    await open.stop();
  });

  it('runs a Recurrent manifest as a CronJob that fires on the node and copies', async () => {
    await node.engine.git.commitFiles(node.engine.repo, {
      'sync/recurrent.yaml': imageSync(
        'nightly',
        source,
        destination,
        `  mode: Recurrent\n  schedule: "* * * * *"\n  source:\n    image: ${source.host}/team/app\n    tag: 3.0.0\n  destination:\n    image: ${destination.host}/recurrent/app`,
        'destination-push',
      ),
    });
    const report = await node.engine.reconciler.sync('webhook');
    assert.equal(report.manifests.find((m) => m.key === 'ImageSync/nightly')?.result, 'Applied');
    await waitFor(async () => (await listTags(destination, 'recurrent/app')).includes('3.0.0'), {
      timeoutMs: 180_000,
      intervalMs: 2_000,
      what: 'the CronJob to fire and copy 3.0.0',
    });
    const jobs = await node.engine.kube.list(JOB, node.engine.namespace);
    const fired = jobs.find((j) =>
      ((j.metadata.ownerReferences ?? []) as Array<{ kind: string }>).some((o) => o.kind === 'CronJob'),
    );
    assert.ok(fired, 'the copy ran as a Job the CronJob controller made');
    assert.equal(
      await manifestDigest(destination, 'recurrent/app', '3.0.0'),
      await manifestDigest(source, 'team/app', '3.0.0'),
    );
  });
});
