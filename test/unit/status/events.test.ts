import assert from 'node:assert/strict';
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
        reason: 'ManifestApplied',
        message: `ImagePrepull/tools (tools.yaml) at ${SHA_B.slice(0, 12)} by Ann: Applied message`,
      },
    ]);
  });

  it('sends a Normal event for a new manifest', () => {
    const events = statusChanges([], [status('Applied')]);
    assert.deepEqual(
      events.map((e) => e.reason),
      ['ManifestApplied'],
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
    assert.equal(events[0]?.reason, 'ManifestInvalid');
    assert.match(events[0]!.message, /tools\.yaml:6:3 \/spec\/images: must be array \[SCHEMA\]/);
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
      ['ManifestInvalid'],
    );
  });

  it('sends ManifestFailed for a failure without problems, with the status message', () => {
    const events = statusChanges([stored(status('Applied'))], [status('Failed', { outcome: 'failed' })]);
    assert.deepEqual(events, [
      {
        type: 'Warning',
        reason: 'ManifestFailed',
        message: `ImagePrepull/tools (tools.yaml) at ${SHA_A.slice(0, 12)} by Ann: Failed message`,
      },
    ]);
  });

  it('sends a Normal event when a manifest recovers, even when its objects were already right', () => {
    const events = statusChanges(
      [status('Invalid', { problem: 'must be array' })],
      [status('Unchanged', { commit: SHA_B })],
    );
    assert.deepEqual(
      events.map((e) => [e.type, e.reason]),
      [['Normal', 'ManifestApplied']],
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
