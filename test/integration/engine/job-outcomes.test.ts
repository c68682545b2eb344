import assert from 'node:assert/strict';
import type { KubeObject } from '../../../src/core/kube-object.js';
import { type EngineHarness, startEngine } from '../../support/engine-harness.js';
import { writeStatus } from '../../support/status-subresource.js';

const JOB = { apiVersion: 'batch/v1', kind: 'Job' } as const;
const DIGEST = `sha256:${'ab'.repeat(32)}`;

const build = `apiVersion: image-gitops.io/v1alpha1
kind: ImageBuild
metadata:
  name: app
spec:
  image: 127.0.0.1:5000/team/app
  tag: v1
  inline: |
    FROM busybox
    RUN echo hello
`;

/** Plays the Job controller and kubelet (there are none here): a finished pod and the Job's final status. */
async function finishJob(h: EngineHarness, job: KubeObject, outcome: 'Complete' | 'Failed'): Promise<void> {
  const ns = job.metadata.namespace!;
  const pod = await h.cp.kubeApi.create({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: `${job.metadata.name}-pod`,
      namespace: ns,
      labels: { 'batch.kubernetes.io/job-name': job.metadata.name },
    },
    spec: { restartPolicy: 'Never', containers: [{ name: 'build', image: 'buildah' }] },
  });
  const exitCode = outcome === 'Complete' ? 0 : 1;
  const message = outcome === 'Complete' ? DIGEST : 'error: FROM busybox: not found';
  await writeStatus(h.cp.kubeApi, {
    ...pod,
    status: {
      phase: outcome === 'Complete' ? 'Succeeded' : 'Failed',
      containerStatuses: [
        {
          name: 'build',
          image: 'buildah',
          imageID: '',
          ready: false,
          restartCount: 0,
          state: {
            terminated: {
              exitCode,
              message,
              reason: outcome === 'Complete' ? 'Completed' : 'Error',
              startedAt: '2026-11-26T00:00:00Z',
              finishedAt: '2026-11-26T00:01:30Z',
            },
          },
        },
      ],
    },
  });
  const now = '2026-11-26T00:01:30Z';
  const conditions =
    outcome === 'Complete'
      ? [
          { type: 'SuccessCriteriaMet', status: 'True', lastProbeTime: now, lastTransitionTime: now },
          { type: 'Complete', status: 'True', lastProbeTime: now, lastTransitionTime: now },
        ]
      : [
          {
            type: 'FailureTarget',
            status: 'True',
            reason: 'BackoffLimitExceeded',
            message: 'Job has reached the specified backoff limit',
            lastProbeTime: now,
            lastTransitionTime: now,
          },
          {
            type: 'Failed',
            status: 'True',
            reason: 'BackoffLimitExceeded',
            message: 'Job has reached the specified backoff limit',
            lastProbeTime: now,
            lastTransitionTime: now,
          },
        ];
  await writeStatus(h.cp.kubeApi, {
    ...job,
    status: {
      startTime: '2026-11-26T00:00:00Z',
      ...(outcome === 'Complete' ? { completionTime: now, succeeded: 1 } : { failed: 1 }),
      conditions,
    },
  });
}

describe('Job outcomes in the status', () => {
  let h: EngineHarness;
  afterEach(async () => h?.close());

  it('reports a finished build as Healthy with its duration and pushed digest, and keeps the Job', async () => {
    h = await startEngine({ 'build.yaml': build });
    await h.reconciler.sync('manual');
    const [job] = await h.kube.list(JOB, h.namespace);
    assert.ok(job, 'build Job created');
    await finishJob(h, job, 'Complete');
    const report = await h.reconciler.sync('schedule');
    const status = report.manifests.find((m) => m.key === 'ImageBuild/app')!;
    assert.equal(status.health, 'Healthy');
    assert.match(
      String(status.details?.observed),
      new RegExp(`Complete, in 90s, pushed 127.0.0.1:5000/team/app:v1@${DIGEST}`),
    );
    assert.equal(
      (await h.kube.list(JOB, h.namespace)).length,
      1,
      'the finished Job stays: it records the build',
    );
  });

  it('reports a failed build as Failed with the reason and the end of its log', async () => {
    h = await startEngine({ 'build.yaml': build });
    await h.reconciler.sync('manual');
    const [job] = await h.kube.list(JOB, h.namespace);
    await finishJob(h, job!, 'Failed');
    const report = await h.reconciler.sync('schedule');
    const status = report.manifests.find((m) => m.key === 'ImageBuild/app')!;
    assert.equal(status.health, 'Failed');
    const jobStatus = status.objects.find((o) => o.kind === 'Job');
    assert.match(jobStatus?.message ?? '', /BackoffLimitExceeded/);
    assert.match(String(status.details?.observed), /FROM busybox: not found/);
  });
});
