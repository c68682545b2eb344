import assert from 'node:assert/strict';
import { DEFAULT_SETTINGS } from '../../../src/config/settings.js';
import type { KubeObject } from '../../../src/core/kube-object.js';
import { describeJobFailures, observeJobFailures, podFailureReason } from '../../../src/jobs/job-failures.js';
import { renderSecureJob } from '../../../src/jobs/job-template.js';

function pod(
  name: string,
  containers: Array<{ name: string; exitCode: number; reason?: string; message?: string }>,
): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name },
    status: {
      containerStatuses: containers.map((c) => ({
        name: c.name,
        state: { terminated: { exitCode: c.exitCode, reason: c.reason, message: c.message } },
      })),
    },
  } as KubeObject;
}

function failedJob(name: string): KubeObject {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name, namespace: 'ns' },
    status: {
      conditions: [
        {
          type: 'Failed',
          status: 'True',
          reason: 'BackoffLimitExceeded',
          message: 'Job has reached the specified backoff limit',
        },
      ],
    },
  } as KubeObject;
}

describe('job failures', () => {
  it('names the failed container, its reason and exit code, and the tail of its message', () => {
    const log = [
      'Getting image source signatures',
      'Copying blob sha256:abc',
      'time="x" level=fatal msg="initializing destination: unauthorized: authentication required"',
      '',
    ].join('\n');
    assert.equal(
      podFailureReason([pod('p', [{ name: 'skopeo', exitCode: 1, reason: 'Error', message: log }])]),
      'skopeo: Error (exit 1): Getting image source signatures / Copying blob sha256:abc / time="x" level=fatal msg="initializing destination: unauthorized: authentication required"',
    );
  });

  it('skips containers that succeeded and keeps only the end of a long message', () => {
    const long = `${'x'.repeat(1000)}\nthe last words`;
    const reason = podFailureReason([
      pod('ok', [{ name: 'a', exitCode: 0 }]),
      pod('bad', [{ name: 'b', exitCode: 2, message: long }]),
    ]);
    assert.ok(reason?.startsWith('b: Error (exit 2): …'));
    assert.ok(reason?.endsWith('the last words'));
    assert.ok((reason?.length ?? 0) < 340);
    assert.equal(podFailureReason([pod('ok', [{ name: 'a', exitCode: 0 }])]), undefined);
  });

  it("reads the failed Jobs' pods by the Job's label, and falls back to the Job's condition without pods", async () => {
    const asked: string[] = [];
    const failures = await observeJobFailures(
      [
        failedJob('copy-1'),
        failedJob('copy-2'),
        { apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'running' } } as KubeObject,
      ],
      {
        async listObjects(_type, namespace, selector) {
          asked.push(`${namespace} ${selector}`);
          return selector.endsWith('copy-1')
            ? [pod('p', [{ name: 'skopeo', exitCode: 1, message: 'denied' }])]
            : [];
        },
      },
      'ns',
    );
    assert.deepEqual(asked, [
      'ns batch.kubernetes.io/job-name=copy-1',
      'ns batch.kubernetes.io/job-name=copy-2',
    ]);
    assert.deepEqual(failures, [
      { job: 'copy-1', reason: 'skopeo: Error (exit 1): denied' },
      { job: 'copy-2', reason: 'BackoffLimitExceeded: Job has reached the specified backoff limit' },
    ]);
    assert.equal(
      describeJobFailures(failures.slice(0, 1), 'copy Job'),
      '; copy Job copy-1 failed: skopeo: Error (exit 1): denied',
    );
  });

  it('makes every secure Job leave its log tail as the termination message', () => {
    const job = renderSecureJob({
      name: 'j',
      namespace: 'ns',
      image: 'i',
      command: ['true'],
      defaults: DEFAULT_SETTINGS.jobs,
    });
    const container = (job.spec as { template: { spec: { containers: Array<Record<string, unknown>> } } })
      .template.spec.containers[0]!;
    assert.equal(container.terminationMessagePolicy, 'FallbackToLogsOnError');
  });
});
