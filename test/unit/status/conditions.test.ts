import assert from 'node:assert/strict';
import type { Problem } from '../../../src/core/errors.js';
import { type ConditionInput, manifestConditions } from '../../../src/status/conditions.js';
import type { ObjectStatus } from '../../../src/status/types.js';

const daemonSet: ObjectStatus = {
  apiVersion: 'apps/v1',
  kind: 'DaemonSet',
  namespace: 'ns',
  name: 'tools',
  action: 'unchanged',
  outcome: 'unchanged',
  health: 'Healthy',
};

function input(overrides: Partial<ConditionInput> = {}): ConditionInput {
  return {
    result: 'Unchanged',
    message: '',
    problems: [],
    objects: [daemonSet],
    health: 'Healthy',
    ...overrides,
  };
}

/** Each condition as `Type=Status Reason`, in the order Ready, Reconciling, Stalled. */
function summary(status: ConditionInput): string[] {
  return manifestConditions(status).map((c) => `${c.type}=${c.status} ${c.reason}`);
}

const schema: Problem = { code: 'SCHEMA', message: 'must be array', location: { file: 't.yaml', line: 6 } };
const rateLimited: Problem = {
  code: 'REGISTRY',
  message: 'HTTP 429',
  reason: 'RateLimited',
  retryable: true,
};
const refusedObject: Problem = {
  code: 'KUBE_API',
  message: 'spec.x: Invalid',
  reason: 'Invalid',
  retryable: false,
};

describe('manifest conditions', () => {
  it('Ready when applied or unchanged and healthy; nothing in progress, nothing stalled', () => {
    assert.deepEqual(summary(input({ result: 'Applied', message: '1 object(s) changed, 0 unchanged' })), [
      'Ready=True ReconciliationSucceeded',
      'Reconciling=False ReconciliationSucceeded',
      'Stalled=False ReconciliationSucceeded',
    ]);
    const [ready] = manifestConditions(input());
    assert.equal(ready?.message, '1 object(s) up to date', 'a stored status has no message: one is made');
    assert.equal(summary(input({ health: 'Suspended' }))[0], 'Ready=True ReconciliationSucceeded');
  });

  it('Reconciling while objects progress, naming the one that does', () => {
    const rolling = { ...daemonSet, health: 'Progressing' as const, message: '1 of 3 pods updated' };
    const conditions = manifestConditions(input({ health: 'Progressing', objects: [rolling] }));
    assert.deepEqual(
      conditions.map((c) => [c.type, c.status, c.reason, c.message]),
      [
        ['Ready', 'Unknown', 'Progressing', 'DaemonSet ns/tools is Progressing: 1 of 3 pods updated'],
        ['Reconciling', 'True', 'Progressing', 'DaemonSet ns/tools is Progressing: 1 of 3 pods updated'],
        ['Stalled', 'False', 'Progressing', ''],
      ],
    );
  });

  it('Reconciling while work is pending: image copies, or changes a dry run would apply', () => {
    assert.deepEqual(summary(input({ details: { pending: [{ sourceRef: 'a:1' }], pendingMore: 4 } })), [
      'Ready=Unknown CopiesPending',
      'Reconciling=True CopiesPending',
      'Stalled=False CopiesPending',
    ]);
    assert.equal(
      manifestConditions(input({ details: { pending: [{}], pendingMore: 4 } }))[0]?.message,
      '5 image copies pending',
    );
    assert.deepEqual(summary(input({ result: 'Planned' })).slice(0, 2), [
      'Ready=Unknown ChangesPending',
      'Reconciling=True ChangesPending',
    ]);
  });

  it('Stalled when the manifest is invalid: a commit, not a retry, fixes it', () => {
    const conditions = manifestConditions(
      input({ result: 'Invalid', problems: [schema], health: 'Unknown' }),
    );
    assert.deepEqual(
      conditions.map((c) => [c.type, c.status, c.reason, c.message]),
      [
        ['Ready', 'False', 'ValidationFailed', 't.yaml:6: must be array [SCHEMA]'],
        ['Reconciling', 'False', 'ValidationFailed', ''],
        ['Stalled', 'True', 'ValidationFailed', 'a retry cannot help: fix the manifest in Git and push'],
      ],
    );
  });

  it('Stalled when invalid even without a problem to name', () => {
    assert.deepEqual(summary(input({ result: 'Invalid' })), [
      'Ready=False ValidationFailed',
      'Reconciling=False ValidationFailed',
      'Stalled=True ValidationFailed',
    ]);
  });

  it('not Stalled but Reconciling with retry when every failure may pass (rate limited, server down)', () => {
    assert.deepEqual(summary(input({ result: 'Failed', problems: [rateLimited], objects: [] })), [
      'Ready=False RateLimited',
      'Reconciling=True ProgressingWithRetry',
      'Stalled=False RateLimited',
    ]);
  });

  it('Stalled by a failure a retry cannot fix, even next to one it could', () => {
    assert.deepEqual(summary(input({ result: 'Failed', problems: [rateLimited, refusedObject] })), [
      'Ready=False Invalid',
      'Reconciling=False Invalid',
      'Stalled=True Invalid',
    ]);
  });

  it('reads a problem that was not classified by the default of its code', () => {
    const auth: Problem = { code: 'GIT_AUTH', message: 'HTTP 401' };
    const observe: Problem = { code: 'OBSERVE_FAILED', message: 'Secret ns/creds does not exist' };
    assert.equal(
      summary(input({ result: 'Failed', problems: [auth] }))[2],
      'Stalled=True AuthenticationFailed',
    );
    assert.equal(summary(input({ result: 'Failed', problems: [observe] }))[2], 'Stalled=False Failed');
  });

  it('an object the API server refused, without a problem: retried, as Flux does', () => {
    const refused = { ...daemonSet, outcome: 'failed' as const, message: '500 InternalError: etcd' };
    assert.deepEqual(
      summary(input({ result: 'Failed', message: '1 of 1 objects failed', objects: [refused] })),
      ['Ready=False ApplyFailed', 'Reconciling=True ProgressingWithRetry', 'Stalled=False ApplyFailed'],
    );
  });

  it('not Ready when applied but unhealthy (a failed Job), naming the object; not stalled', () => {
    const job: ObjectStatus = {
      ...daemonSet,
      apiVersion: 'batch/v1',
      kind: 'Job',
      name: 'copy',
      health: 'Failed',
      message: 'BackoffLimitExceeded',
    };
    const conditions = manifestConditions(input({ health: 'Failed', objects: [daemonSet, job] }));
    assert.deepEqual(
      conditions.map((c) => `${c.type}=${c.status} ${c.reason}`),
      [
        'Ready=False HealthCheckFailed',
        'Reconciling=False HealthCheckFailed',
        'Stalled=False HealthCheckFailed',
      ],
    );
    assert.equal(conditions[0]?.message, 'Job ns/copy is Failed: BackoffLimitExceeded');
  });
});

describe('conditions of a manifest whose objects the API server refused', () => {
  const refused = (failure: ObjectStatus['failure']): ObjectStatus => ({
    ...daemonSet,
    action: 'update',
    outcome: 'failed',
    message: '422 Invalid: spec.template: field is immutable',
    ...(failure ? { failure } : {}),
  });
  const failed = (objects: ObjectStatus[]) =>
    input({ result: 'Failed', message: '1 of 1 objects failed', objects, health: 'Healthy' });

  it('is Stalled when the refusal is for good (422 Invalid), with its reason', () => {
    assert.deepEqual(summary(failed([refused({ reason: 'Invalid', retryable: false })])), [
      'Ready=False Invalid',
      'Reconciling=False Invalid',
      'Stalled=True Invalid',
    ]);
  });

  it('is Reconciling with a retry when the next sync may get past it (409 Conflict)', () => {
    assert.deepEqual(summary(failed([refused({ reason: 'Conflict', retryable: true })])), [
      'Ready=False Conflict',
      'Reconciling=True ProgressingWithRetry',
      'Stalled=False Conflict',
    ]);
  });

  it('takes the refusal no retry fixes over a retryable one', () => {
    const objects = [
      refused({ reason: 'Conflict', retryable: true }),
      { ...refused({ reason: 'Forbidden', retryable: false }), name: 'other' },
    ];
    assert.equal(manifestConditions(failed(objects)).find((c) => c.type === 'Stalled')?.reason, 'Forbidden');
  });

  it('says ApplyFailed and retries when the failure was not classified (a status stored before)', () => {
    assert.deepEqual(summary(failed([refused(undefined)])), [
      'Ready=False ApplyFailed',
      'Reconciling=True ProgressingWithRetry',
      'Stalled=False ApplyFailed',
    ]);
  });
});
