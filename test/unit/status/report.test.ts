import assert from 'node:assert/strict';
import type { KubeObject } from '../../../src/core/kube-object.js';
import type { RenderedManifest } from '../../../src/engine/render-manifests.js';
import type { InvalidManifest, Manifest } from '../../../src/manifests/types.js';
import type { Change, ChangeAction, ObjectOutcome } from '../../../src/plan/change.js';
import { buildManifestStatuses } from '../../../src/status/report.js';

const COMMIT = {
  sha: '1234567890abcdef'.padEnd(40, '0'),
  author: 'Ann',
  date: '2024-01-01T00:00:00Z',
  message: 'm',
};

function manifest(name: string): Manifest {
  return {
    key: `ImagePrepull/${name}`,
    kind: 'ImagePrepull',
    name,
    spec: {},
    origin: { file: `${name}.yaml`, line: 2, apiVersion: 'image-gitops.io/v1alpha1', kind: 'ImagePrepull' },
  };
}

function ds(name: string, status?: unknown): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name, namespace: 'ns', generation: 1 },
    ...(status ? { status } : {}),
  };
}

const READY = {
  observedGeneration: 1,
  desiredNumberScheduled: 1,
  numberReady: 1,
  numberAvailable: 1,
  updatedNumberScheduled: 1,
};

const OUTCOME: Record<ChangeAction, ObjectOutcome> = {
  create: 'applied',
  update: 'applied',
  replace: 'applied',
  delete: 'pruned',
  unchanged: 'unchanged',
  keep: 'kept',
};

function result(
  action: ChangeAction,
  manifestKey: string,
  object: KubeObject,
  outcome: Partial<NonNullable<Change['outcome']>> = {},
): Change {
  return {
    action,
    object,
    manifestKey,
    reason: { code: action === 'keep' ? 'ManifestFailing' : 'NotInCluster', message: `reason ${action}` },
    ...(action === 'unchanged' ? { live: object } : {}),
    outcome: { result: OUTCOME[action], ...outcome },
  };
}

function build(
  rendered: RenderedManifest[],
  changes: Change[],
  invalid: InvalidManifest[] = [],
  dryRun = false,
) {
  // A dry-run writer's outcome for what it would write (src/apply/executor.ts).
  const results = changes.map((c) =>
    dryRun && (c.outcome?.result === 'applied' || c.outcome?.result === 'pruned')
      ? { ...c, outcome: { ...c.outcome, result: 'planned' as const } }
      : c,
  );
  return buildManifestStatuses({ rendered, invalid, results, commit: COMMIT, dryRun });
}

describe('manifest statuses', () => {
  const tools = manifest('tools');

  it('is Applied when an object was written, with who and which commit', () => {
    const [status] = build(
      [{ manifest: tools, objects: [], problems: [] }],
      [result('create', tools.key, ds('tools'), { applied: ds('tools', READY) })],
    );
    assert.equal(status?.result, 'Applied');
    assert.equal(status?.message, '1 object(s) changed, 0 unchanged');
    assert.equal(status?.commit, COMMIT.sha);
    assert.equal(status?.author, 'Ann');
    assert.deepEqual([status?.file, status?.line], ['tools.yaml', 2]);
    assert.deepEqual(status?.objects, [
      {
        apiVersion: 'apps/v1',
        kind: 'DaemonSet',
        namespace: 'ns',
        name: 'tools',
        action: 'create',
        reason: 'NotInCluster',
        outcome: 'applied',
        health: 'Healthy',
        message: 'reason create',
      },
    ]);
    assert.equal(status?.health, 'Healthy');
    assert.deepEqual(
      status?.conditions?.map((c) => [c.type, c.status, c.reason]),
      [
        ['Ready', 'True', 'ReconciliationSucceeded'],
        ['Reconciling', 'False', 'ReconciliationSucceeded'],
        ['Stalled', 'False', 'ReconciliationSucceeded'],
      ],
    );
  });

  it('is Unchanged when nothing was written, and carries the live objects’ health', () => {
    const [status] = build(
      [{ manifest: tools, objects: [], problems: [] }],
      [
        result(
          'unchanged',
          tools.key,
          ds('tools', {
            observedGeneration: 1,
            desiredNumberScheduled: 2,
            numberReady: 1,
            updatedNumberScheduled: 2,
          }),
        ),
      ],
    );
    assert.equal(status?.result, 'Unchanged');
    assert.equal(status?.health, 'Progressing');
    assert.equal(status?.objects[0]?.outcome, 'unchanged');
    assert.deepEqual(
      status?.conditions?.map((c) => `${c.type}=${c.status}`),
      ['Ready=Unknown', 'Reconciling=True', 'Stalled=False'],
    );
  });

  it('is Planned in a dry run', () => {
    const [status] = build(
      [{ manifest: tools, objects: [], problems: [] }],
      [result('update', tools.key, ds('tools'))],
      [],
      true,
    );
    assert.equal(status?.result, 'Planned');
    assert.equal(status?.objects[0]?.outcome, 'planned');
  });

  it('is Failed when an object failed to apply, with its message', () => {
    const [status] = build(
      [{ manifest: tools, objects: [], problems: [] }],
      [
        result('create', tools.key, ds('a')),
        result('create', tools.key, ds('b'), { result: 'failed', message: 'forbidden' }),
      ],
    );
    assert.equal(status?.result, 'Failed');
    assert.equal(status?.message, '1 of 2 objects failed: forbidden');
  });

  it('is Failed when rendering failed, and says that its objects are kept', () => {
    const problem = { code: 'OBSERVE_FAILED' as const, message: 'registry unreachable' };
    const [status] = build(
      [{ manifest: tools, objects: [], problems: [problem] }],
      [result('keep', tools.key, ds('tools', READY))],
    );
    assert.equal(status?.result, 'Failed');
    assert.match(status!.message, /registry unreachable; its objects are kept/);
    assert.deepEqual(status?.problems, [problem]);
    assert.equal(status?.objects[0]?.outcome, 'kept');
  });

  it('is Invalid for a manifest that failed validation, with its kept objects', () => {
    const invalid: InvalidManifest = {
      key: 'ImagePrepull/broken',
      kind: 'ImagePrepull',
      name: 'broken',
      origin: { file: 'broken.yaml', line: 1, apiVersion: 'image-gitops.io/v1alpha1', kind: 'ImagePrepull' },
      problems: [
        {
          code: 'SCHEMA',
          message: 'must be array',
          location: { file: 'broken.yaml', line: 6, column: 3, field: '/spec/images' },
        },
      ],
    };
    const [status] = build([], [result('keep', 'ImagePrepull/broken', ds('broken'))], [invalid]);
    assert.equal(status?.result, 'Invalid');
    assert.equal(status?.key, 'ImagePrepull/broken');
    assert.equal(status?.message, '1 problem(s); 1 object(s) kept as last applied');
    assert.deepEqual(status?.problems, invalid.problems);
    assert.deepEqual(
      status?.conditions?.map((c) => `${c.type}=${c.status} ${c.reason}`),
      ['Ready=False ValidationFailed', 'Reconciling=False ValidationFailed', 'Stalled=True ValidationFailed'],
    );
  });

  it('names a document without a readable name by its file and line', () => {
    const invalid: InvalidManifest = {
      origin: { file: 'x.yaml', line: 4, apiVersion: '', kind: '' },
      problems: [{ code: 'NOT_AN_OBJECT', message: 'not a mapping' }],
    };
    const [status] = build([], [], [invalid]);
    assert.equal(status?.key, 'Unknown/x.yaml:4');
    assert.equal(status?.message, '1 problem(s); nothing applied');
  });

  it('reports the objects of a manifest that left Git under its old key, pruned or kept', () => {
    const pruned = build([], [result('delete', 'ImagePrepull/gone', ds('gone'))]);
    assert.deepEqual(
      pruned.map((s) => [s.key, s.name, s.message, s.objects[0]?.outcome]),
      [['ImagePrepull/gone', 'gone', 'manifest left Git; objects pruned', 'pruned']],
    );
    const kept = build([], [result('keep', 'ImagePrepull/gone', ds('gone'))]);
    assert.equal(kept[0]?.message, 'manifest left Git; prune refused, objects kept');
  });

  it('sorts the statuses by key', () => {
    const statuses = build(
      [
        { manifest: manifest('b'), objects: [], problems: [] },
        { manifest: manifest('a'), objects: [], problems: [] },
      ],
      [],
    );
    assert.deepEqual(
      statuses.map((s) => s.key),
      ['ImagePrepull/a', 'ImagePrepull/b'],
    );
  });
});
