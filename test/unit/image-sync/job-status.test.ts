import assert from 'node:assert/strict';
import type { KubeObject } from '../../../src/core/kube-object.js';
import { summarizeJobs } from '../../../src/health/job-status.js';

const job = (name: string, conditions?: Array<Record<string, string>>): KubeObject => ({
  apiVersion: 'batch/v1',
  kind: 'Job',
  metadata: { name },
  ...(conditions ? { status: { conditions } } : {}),
});

describe('copy Job outcomes', () => {
  it('reads active, complete and failed Jobs, with the failure reason, ignoring other objects', () => {
    const summaries = summarizeJobs([
      job('c-running'),
      job('b-done', [{ type: 'Complete', status: 'True' }]),
      job('a-failed', [
        { type: 'FailureTarget', status: 'True' },
        {
          type: 'Failed',
          status: 'True',
          reason: 'BackoffLimitExceeded',
          message: 'Job has reached the specified backoff limit',
        },
      ]),
      { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'files' } },
    ]);
    assert.deepEqual(summaries, [
      {
        name: 'a-failed',
        phase: 'Failed',
        reason: 'BackoffLimitExceeded',
        message: 'Job has reached the specified backoff limit',
      },
      { name: 'b-done', phase: 'Complete' },
      { name: 'c-running', phase: 'Active' },
    ]);
  });
});
