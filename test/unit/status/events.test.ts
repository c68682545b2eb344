import assert from 'node:assert/strict';
import type { Problem } from '../../../src/core/errors.js';
import { statusChanges } from '../../../src/status/events.js';
import type { ManifestStatus, ObjectOutcome } from '../../../src/status/types.js';

const SHA_A = 'a'.repeat(40);
const SHA_B = 'b'.repeat(40);

function status(
  result: ManifestStatus['result'],
  options: { commit?: string; outcome?: ObjectOutcome; problem?: string; key?: string; file?: string } = {},
): ManifestStatus {
  const outcome = options.outcome ?? (result === 'Applied' ? 'applied' : 'unchanged');
  return {
    key: options.key ?? 'ImagePrepull/tools',
    kind: 'ImagePrepull',
    name: 'tools',
    file: options.file ?? 'tools.yaml',
    line: 1,
    result,
    message: `${result} message`,
    problems: options.problem
      ? [
          {
            code: 'SCHEMA',
            message: options.problem,
            location: { file: 'tools.yaml', line: 6, column: 3, field: '/spec/images' },
          },
        ]
      : [],
    objects: [
      {
        apiVersion: 'apps/v1',
        kind: 'DaemonSet',
        name: 'tools',
        action: outcome === 'applied' ? 'update' : 'unchanged',
        outcome,
      },
    ],
    commit: options.commit ?? SHA_A,
    author: 'Ann',
    health: 'Healthy',
  };
}

/** What the reconciler stores: settled results, every object unchanged. */
function stored(s: ManifestStatus): ManifestStatus {
  const settled = s.result === 'Applied' || s.result === 'Unchanged';
  return {
    ...s,
    result: settled ? 'Unchanged' : s.result,
    objects: s.objects.map((o) => ({
      ...o,
      action: 'unchanged',
      outcome: o.outcome === 'failed' ? 'failed' : 'unchanged',
    })),
  };
}

describe('status events', () => {
  it('sends a Normal event when a new commit changed the objects of a manifest', () => {
    const events = statusChanges([stored(status('Applied'))], [status('Applied', { commit: SHA_B })]);
    assert.deepEqual(events, [
      {
        type: 'Normal',
        reason: 'ReconciliationSucceeded',
        message: `ImagePrepull/tools (tools.yaml) at ${SHA_B.slice(0, 12)} by Ann: Applied message`,
      },
    ]);
  });

  it('sends a Normal event for a new manifest', () => {
    const events = statusChanges([], [status('Applied')]);
    assert.deepEqual(
      events.map((e) => e.reason),
      ['ReconciliationSucceeded'],
    );
  });

  it('sends nothing when nothing was written, even at a new commit', () => {
    assert.deepEqual(statusChanges([stored(status('Applied'))], [status('Unchanged')]), []);
    assert.deepEqual(
      statusChanges([stored(status('Applied'))], [status('Unchanged', { commit: SHA_B })]),
      [],
    );
    assert.deepEqual(statusChanges([], [status('Unchanged')]), []);
  });

  it('sends a Warning when a manifest becomes invalid, naming the problem’s location, and only once', () => {
    const invalid = status('Invalid', { commit: SHA_B, problem: 'must be array' });
    const events = statusChanges([stored(status('Applied'))], [invalid]);
    assert.equal(events.length, 1);
    assert.equal(events[0]?.type, 'Warning');
    assert.equal(events[0]?.reason, 'ValidationFailed', 'the reason of its Ready condition');
    assert.match(events[0]!.message, /tools\.yaml:6:3 \/spec\/images: must be array \[SCHEMA\]/);
    assert.match(events[0]!.message, /\(Stalled: a retry cannot help: fix the manifest in Git and push\)$/);
    assert.deepEqual(
      statusChanges([invalid], [status('Invalid', { commit: SHA_B, problem: 'must be array' })]),
      [],
      'same problem: no new event',
    );
    assert.deepEqual(
      statusChanges([invalid], [status('Invalid', { commit: 'c'.repeat(40), problem: 'must be array' })]),
      [],
      'same problem at a later commit: no new event',
    );
  });

  it('sends a new Warning when the problems change', () => {
    const events = statusChanges(
      [status('Invalid', { problem: 'must be array' })],
      [status('Invalid', { commit: SHA_B, problem: 'required field is missing' })],
    );
    assert.deepEqual(
      events.map((e) => e.reason),
      ['ValidationFailed'],
    );
  });

  it('sends ApplyFailed for a failure without problems, with the status message', () => {
    const events = statusChanges([stored(status('Applied'))], [status('Failed', { outcome: 'failed' })]);
    assert.deepEqual(events, [
      {
        type: 'Warning',
        reason: 'ApplyFailed',
        message: `ImagePrepull/tools (tools.yaml) at ${SHA_A.slice(0, 12)} by Ann: Failed message`,
      },
    ]);
  });

  it('names the reason of a classified failure, and says Stalled only when a retry cannot help', () => {
    const failing = (problem: Problem) => ({ ...status('Failed'), problems: [problem] });
    const [limited] = statusChanges(
      [],
      [failing({ code: 'REGISTRY', message: 'HTTP 429', reason: 'RateLimited', retryable: true })],
    );
    assert.equal(limited?.reason, 'RateLimited');
    assert.doesNotMatch(limited!.message, /Stalled/);
    const [denied] = statusChanges(
      [],
      [failing({ code: 'REGISTRY', message: 'HTTP 401', reason: 'AuthenticationFailed', retryable: false })],
    );
    assert.equal(denied?.reason, 'AuthenticationFailed');
    assert.match(
      denied!.message,
      /HTTP 401 \[REGISTRY\] \(Stalled: a retry cannot help: fix the credentials/,
    );
  });

  it('sends a Warning when an applied manifest turns unhealthy, once, and a Normal one when it heals', () => {
    const failedJob = (s: ManifestStatus): ManifestStatus => ({
      ...s,
      health: 'Failed',
      objects: [
        { ...s.objects[0]!, kind: 'Job', name: 'copy', health: 'Failed', message: 'BackoffLimitExceeded' },
      ],
    });
    const healthy = stored(status('Applied'));
    const [warning] = statusChanges([healthy], [failedJob(status('Unchanged'))]);
    assert.deepEqual(warning, {
      type: 'Warning',
      reason: 'HealthCheckFailed',
      message: `ImagePrepull/tools (tools.yaml) at ${SHA_A.slice(0, 12)} by Ann: Job copy is Failed: BackoffLimitExceeded`,
    });
    assert.deepEqual(
      statusChanges([failedJob(stored(status('Applied')))], [failedJob(status('Unchanged'))]),
      [],
    );
    assert.deepEqual(
      statusChanges([failedJob(stored(status('Applied')))], [status('Unchanged')]).map((e) => [
        e.type,
        e.reason,
      ]),
      [['Normal', 'ReconciliationSucceeded']],
    );
  });

  it('sends a Normal event when a manifest recovers, even when its objects were already right', () => {
    const events = statusChanges(
      [status('Invalid', { problem: 'must be array' })],
      [status('Unchanged', { commit: SHA_B })],
    );
    assert.deepEqual(
      events.map((e) => [e.type, e.reason]),
      [['Normal', 'ReconciliationSucceeded']],
    );
  });

  it('sends one event for the prune of a manifest that left Git, none while the prune is refused', () => {
    const gone = { key: 'ImagePrepull/gone', file: '' };
    const pruned = statusChanges(
      [stored(status('Applied', gone))],
      [status('Applied', { ...gone, outcome: 'pruned' })],
    );
    assert.deepEqual(
      pruned.map((e) => e.message),
      [`ImagePrepull/gone at ${SHA_A.slice(0, 12)} by Ann: Applied message`],
    );
    assert.deepEqual(
      statusChanges([stored(status('Applied', gone))], [status('Applied', { ...gone, outcome: 'kept' })]),
      [],
    );
  });
});
