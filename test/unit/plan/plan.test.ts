import assert from 'node:assert/strict';
import type { KubeObject } from '../../../src/core/kube-object.js';
import type { Manifest } from '../../../src/manifests/types.js';
import type { Change } from '../../../src/plan/change.js';
import { applyTier, byTier } from '../../../src/plan/order.js';
import { type PlanInput, planSync, versionMarker } from '../../../src/plan/plan.js';
import { stampObject } from '../../../src/render/stamp.js';

const COMMIT = { sha: 'c0ffee'.padEnd(40, '0'), author: 'Ann', date: '2024-01-01T00:00:00Z', message: 'm' };

function manifest(name: string, file = `${name}.yaml`): Manifest {
  return {
    key: `ImagePrepull/${name}`,
    kind: 'ImagePrepull',
    name,
    spec: {},
    origin: { file, line: 1, apiVersion: 'image-gitops.io/v1alpha1', kind: 'ImagePrepull' },
  };
}

function object(kind: string, name: string, body: Record<string, unknown> = {}): KubeObject {
  const apiVersion = kind === 'Job' ? 'batch/v1' : kind === 'ConfigMap' ? 'v1' : 'apps/v1';
  return { apiVersion, kind, metadata: { name, namespace: 'ns' }, ...body };
}

/** A desired object as the engine stamps it. */
function desired(owner: Manifest, obj: KubeObject): KubeObject {
  return stampObject(obj, owner, 'default', COMMIT);
}

let uidCounter = 0;
/** The same object as the server returns it after our apply (uid, version markers). */
function live(
  stamped: KubeObject,
  meta: { generation?: number; resourceVersion?: string; status?: unknown } = {},
): KubeObject {
  const { status, ...versions } = meta;
  return {
    ...structuredClone(stamped),
    metadata: {
      ...structuredClone(stamped.metadata),
      uid: `uid-${++uidCounter}`,
      resourceVersion: '100',
      ...versions,
    },
    ...(status ? { status } : {}),
  };
}

function input(partial: Partial<PlanInput>): PlanInput {
  return {
    desired: new Map(),
    live: [],
    protectedManifests: new Set(),
    protectedFiles: new Set(),
    presentManifests: new Set(),
    appliedVersions: new Map(),
    maxPruneShare: 0.5,
    allowPrune: false,
    ...partial,
  };
}

function summary(steps: Change[]): string[] {
  return steps.map((s) => `${s.action} ${s.object.kind}/${s.object.metadata.name}`).sort();
}

const COMPLETE = { conditions: [{ type: 'Complete', status: 'True' }] };
const FAILED = { conditions: [{ type: 'Failed', status: 'True', reason: 'BackoffLimitExceeded' }] };

describe('planSync', () => {
  const tools = manifest('tools');

  describe('create, update, unchanged', () => {
    it('creates what the cluster lacks', () => {
      const ds = desired(tools, object('DaemonSet', 'tools'));
      const plan = planSync(
        input({ desired: new Map([[tools.key, [ds]]]), presentManifests: new Set([tools.key]) }),
      );
      assert.deepEqual(summary(plan.changes), ['create DaemonSet/tools']);
      assert.equal(plan.changes[0]?.manifestKey, tools.key);
    });

    it('leaves an object alone when its applied hash and its generation match our last apply', () => {
      const ds = desired(tools, object('DaemonSet', 'tools'));
      const onServer = live(ds, { generation: 3 });
      const plan = planSync(
        input({
          desired: new Map([[tools.key, [ds]]]),
          live: [onServer],
          presentManifests: new Set([tools.key]),
          appliedVersions: new Map([[onServer.metadata.uid!, 'g3']]),
        }),
      );
      assert.deepEqual(summary(plan.changes), ['unchanged DaemonSet/tools']);
    });

    it('updates when the rendered content changed', () => {
      const before = desired(tools, object('DaemonSet', 'tools', { spec: { image: 'busybox:1.36' } }));
      const after = desired(tools, object('DaemonSet', 'tools', { spec: { image: 'busybox:1.37' } }));
      const onServer = live(before, { generation: 3 });
      const plan = planSync(
        input({
          desired: new Map([[tools.key, [after]]]),
          live: [onServer],
          presentManifests: new Set([tools.key]),
          appliedVersions: new Map([[onServer.metadata.uid!, 'g3']]),
        }),
      );
      assert.deepEqual(summary(plan.changes), ['update DaemonSet/tools']);
      assert.equal(plan.changes[0]?.reason.message, 'rendered content changed');
      assert.equal(plan.changes[0]?.object, after, 'the desired object is what gets applied');
      assert.equal(plan.changes[0]?.live, onServer);
    });

    it('updates a workload edited in the cluster: its generation moved since our apply', () => {
      const ds = desired(tools, object('DaemonSet', 'tools'));
      const onServer = live(ds, { generation: 4 });
      const plan = planSync(
        input({
          desired: new Map([[tools.key, [ds]]]),
          live: [onServer],
          presentManifests: new Set([tools.key]),
          appliedVersions: new Map([[onServer.metadata.uid!, 'g3']]),
        }),
      );
      assert.deepEqual(summary(plan.changes), ['update DaemonSet/tools']);
      assert.match(plan.changes[0]!.reason.message, /changed in the cluster/);
    });

    it('uses the resourceVersion for objects without a generation (a ConfigMap edited in the cluster)', () => {
      const cm = desired(tools, object('ConfigMap', 'tools-config'));
      const untouched = live(cm, { resourceVersion: '7' });
      const edited = { ...untouched, metadata: { ...untouched.metadata, resourceVersion: '9' } };
      assert.equal(versionMarker(untouched), 'rv7');
      assert.equal(versionMarker(live(cm, { generation: 2, resourceVersion: '7' })), 'g2');
      const versions = new Map([[untouched.metadata.uid!, 'rv7']]);
      const same = planSync(
        input({ desired: new Map([[tools.key, [cm]]]), live: [untouched], appliedVersions: versions }),
      );
      const drifted = planSync(
        input({ desired: new Map([[tools.key, [cm]]]), live: [edited], appliedVersions: versions }),
      );
      assert.deepEqual(summary(same.changes), ['unchanged ConfigMap/tools-config']);
      assert.deepEqual(summary(drifted.changes), ['update ConfigMap/tools-config']);
    });

    it('updates an object it has no record of applying (after the stored state was lost)', () => {
      const ds = desired(tools, object('DaemonSet', 'tools'));
      const plan = planSync(
        input({ desired: new Map([[tools.key, [ds]]]), live: [live(ds, { generation: 1 })] }),
      );
      assert.deepEqual(summary(plan.changes), ['update DaemonSet/tools']);
    });

    it('does not take a status change for a change: a status update does not bump the generation', () => {
      const ds = desired(tools, object('DaemonSet', 'tools'));
      const onServer = live(ds, { generation: 3, resourceVersion: '555', status: { numberReady: 2 } });
      const plan = planSync(
        input({
          desired: new Map([[tools.key, [ds]]]),
          live: [onServer],
          appliedVersions: new Map([[onServer.metadata.uid!, 'g3']]),
        }),
      );
      assert.deepEqual(summary(plan.changes), ['unchanged DaemonSet/tools']);
    });
  });

  describe('prune', () => {
    const other = manifest('other');

    it('keeps the objects of a removed manifest when pruning is disabled, without calling it a refusal', () => {
      const gone = live(desired(other, object('DaemonSet', 'other')));
      const plan = planSync(input({ live: [gone], pruneEnabled: false }));
      assert.deepEqual(
        plan.changes.map((s) => [s.action, s.reason.message]),
        [['keep', 'pruning is disabled (PRUNE=false)']],
      );
      assert.equal(plan.pruneRefused, undefined);
    });

    it('deletes the objects of a manifest removed from Git', () => {
      const gone = live(desired(other, object('DaemonSet', 'other')));
      const kept = desired(tools, object('DaemonSet', 'tools'));
      const keptLive = live(kept, { generation: 1 });
      const plan = planSync(
        input({
          desired: new Map([[tools.key, [kept]]]),
          live: [
            keptLive,
            gone,
            live(desired(tools, object('ConfigMap', 'a'))),
            live(desired(tools, object('ConfigMap', 'b'))),
          ],
          presentManifests: new Set([tools.key]),
          appliedVersions: new Map([[keptLive.metadata.uid!, 'g1']]),
          maxPruneShare: 0.5,
        }),
      );
      const deletes = plan.changes.filter((s) => s.action === 'delete');
      assert.ok(!plan.pruneRefused);
      assert.deepEqual(
        deletes.map((s) => [s.object.metadata.name, s.manifestKey, s.reason.message]),
        [
          ['a', tools.key, 'no longer rendered by its manifest'],
          ['b', tools.key, 'no longer rendered by its manifest'],
          ['other', other.key, 'its manifest left Git'],
        ],
      );
      assert.equal(
        deletes.find((s) => s.object.metadata.name === 'other')?.object,
        gone,
        'the live object is deleted',
      );
    });

    it('keeps the objects of a manifest that fails (protected manifest)', () => {
      const obj = live(desired(other, object('DaemonSet', 'other')));
      const plan = planSync(input({ live: [obj], protectedManifests: new Set([other.key]) }));
      assert.deepEqual(summary(plan.changes), ['keep DaemonSet/other']);
      assert.match(plan.changes[0]!.reason.message, /manifest fails/);
    });

    it('keeps the objects from a file with a syntax error (protected file)', () => {
      const inBrokenFile = live(
        desired(manifest('hidden', 'dir/broken.yaml'), object('DaemonSet', 'hidden')),
      );
      const plan = planSync(input({ live: [inBrokenFile], protectedFiles: new Set(['dir/broken.yaml']) }));
      assert.deepEqual(summary(plan.changes), ['keep DaemonSet/hidden']);
      assert.match(plan.changes[0]!.reason.message, /dir\/broken\.yaml has errors/);
    });

    it('leaves finished Jobs of a present manifest to their TTL, and deletes its running ones', () => {
      const job = (name: string, status?: unknown) =>
        live(desired(tools, object('Job', name)), { generation: 1, status });
      const plan = planSync(
        input({
          live: [job('done', COMPLETE), job('failed', FAILED), job('running', { active: 1 })],
          presentManifests: new Set([tools.key]),
          allowPrune: true,
        }),
      );
      assert.deepEqual(summary(plan.changes), ['delete Job/running', 'keep Job/done', 'keep Job/failed']);
    });

    it('deletes the finished Jobs of a manifest that left Git', () => {
      const done = live(desired(other, object('Job', 'done')), { status: COMPLETE });
      const plan = planSync(input({ live: [done], allowPrune: true }));
      assert.deepEqual(summary(plan.changes), ['delete Job/done']);
    });

    it('refuses a prune over the share bound: every delete becomes kept, and says how much', () => {
      const owned = [1, 2, 3, 4].map((i) => live(desired(manifest(`m${i}`), object('DaemonSet', `m${i}`))));
      const plan = planSync(input({ live: owned, maxPruneShare: 0.5 }));
      assert.deepEqual(plan.pruneRefused, { wouldDelete: 4, owned: 4, maxShare: 0.5 });
      assert.deepEqual(
        plan.changes.map((s) => s.action),
        ['keep', 'keep', 'keep', 'keep'],
      );
      assert.match(plan.changes[0]!.reason.message, /prune refused/);
    });

    it('prunes up to the share bound, and over it when allowed', () => {
      const owned = [1, 2, 3, 4].map((i) => live(desired(manifest(`m${i}`), object('DaemonSet', `m${i}`))));
      const present = new Set(['ImagePrepull/m1', 'ImagePrepull/m2']);
      const desiredMap = new Map(
        owned.slice(0, 2).map((o) => [o.metadata.annotations!['image-gitops.io/manifest']!, [o]]),
      );
      const half = planSync(
        input({ desired: desiredMap, live: owned, presentManifests: present, maxPruneShare: 0.5 }),
      );
      assert.equal(half.pruneRefused, undefined);
      assert.equal(half.changes.filter((s) => s.action === 'delete').length, 2);

      const all = planSync(input({ live: owned, maxPruneShare: 0.5, allowPrune: true }));
      assert.equal(all.pruneRefused, undefined);
      assert.equal(all.changes.filter((s) => s.action === 'delete').length, 4);
    });

    it('does not count the deletes of a present manifest against the prune bound', () => {
      const jobs = [1, 2, 3].map((i) =>
        live(desired(tools, object('Job', `old-${i}`)), { status: { active: 1 } }),
      );
      const plan = planSync(
        input({ live: jobs, presentManifests: new Set([tools.key]), maxPruneShare: 0.1 }),
      );
      assert.equal(plan.pruneRefused, undefined);
      assert.deepEqual(
        plan.changes.map((s) => s.action),
        ['delete', 'delete', 'delete'],
      );
    });
  });

  describe('apply order', () => {
    it('puts what others refer to first: namespaces, RBAC, config, services, workloads, then Jobs', () => {
      const kinds = [
        'Job',
        'DaemonSet',
        'Service',
        'Secret',
        'ServiceAccount',
        'Namespace',
        'CronJob',
        'ConfigMap',
        'Deployment',
      ];
      const groups = byTier(kinds, (k) => k);
      assert.deepEqual(groups, [
        ['Namespace'],
        ['ServiceAccount'],
        ['Secret', 'ConfigMap'],
        ['Service'],
        ['DaemonSet', 'Deployment'],
        ['Job', 'CronJob'],
      ]);
    });

    it('deletes in the reverse order', () => {
      const groups = byTier(['ConfigMap', 'Job', 'StatefulSet'], (k) => k, true);
      assert.deepEqual(groups, [['Job'], ['StatefulSet'], ['ConfigMap']]);
    });

    it('applies unknown kinds last', () => {
      assert.ok(applyTier({ kind: 'Widget' }) > applyTier({ kind: 'Job' }));
    });
  });
});

// Rules the mutation run (npm run mutation, test/MUTATION.md) found untested.
describe('planSync: adoption, reasons and version markers', () => {
  const tools = manifest('tools');
  const other = manifest('other');

  it('never deletes an adopted object (image-gitops.io/adopt: "true"), and says why; any other value does not count', () => {
    const adoptedBy = (value: string) =>
      live({
        ...desired(other, object('DaemonSet', `adopted-${value}`)),
        metadata: {
          ...desired(other, object('DaemonSet', `adopted-${value}`)).metadata,
          annotations: { 'image-gitops.io/adopt': value },
        },
      });
    const plan = planSync(input({ live: [adoptedBy('true'), adoptedBy('false')], allowPrune: true }));
    assert.deepEqual(summary(plan.changes), [
      'delete DaemonSet/adopted-false',
      'keep DaemonSet/adopted-true',
    ]);
    assert.equal(
      plan.changes.find((s) => s.action === 'keep')?.reason.message,
      'adopted (image-gitops.io/adopt), not created by image-gitops: never deleted; delete it by hand if it should go',
    );
  });

  it('reads an object without any annotation as not adopted', () => {
    const bare = live(desired(other, object('DaemonSet', 'bare')));
    delete bare.metadata.annotations;
    const plan = planSync(input({ live: [bare], allowPrune: true }));
    assert.deepEqual(summary(plan.changes), ['delete DaemonSet/bare']);
  });

  it('gives each action its reason: not in the cluster, matches the last apply, finished Job left to its TTL', () => {
    const fresh = desired(tools, object('DaemonSet', 'fresh'));
    const same = desired(tools, object('DaemonSet', 'same'));
    const sameLive = live(same, { generation: 3 });
    const done = live(desired(tools, object('Job', 'done')), { generation: 1, status: COMPLETE });
    const plan = planSync(
      input({
        desired: new Map([[tools.key, [fresh, same]]]),
        live: [sameLive, done],
        presentManifests: new Set([tools.key]),
        appliedVersions: new Map([[sameLive.metadata.uid!, 'g3']]),
      }),
    );
    assert.deepEqual(
      plan.changes.map((s) => [s.action, s.object.metadata.name, s.reason.code, s.reason.message]),
      [
        ['create', 'fresh', 'NotInCluster', 'not in the cluster'],
        ['unchanged', 'same', 'MatchesLastApply', 'matches the last apply'],
        ['keep', 'done', 'FinishedJob', 'finished Job, left to its TTL'],
      ],
    );
  });

  it('marks a version by generation when there is one (0 included), else by resourceVersion', () => {
    const meta = (m: Record<string, unknown>) => ({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'x', ...m },
    });
    assert.equal(versionMarker(meta({ generation: 4, resourceVersion: '9' })), 'g4');
    assert.equal(versionMarker(meta({ generation: 0, resourceVersion: '9' })), 'g0');
    assert.equal(versionMarker(meta({ resourceVersion: '9' })), 'rv9');
    assert.equal(versionMarker(meta({ generation: null, resourceVersion: '9' })), 'rv9');
    assert.equal(versionMarker(meta({})), 'rv');
  });
});

describe('apply tiers, kind by kind', () => {
  it('puts each kind the tiers name in its tier', () => {
    const tiers: Record<string, string[]> = {
      0: ['Namespace', 'CustomResourceDefinition'],
      1: ['ServiceAccount', 'Role', 'ClusterRole', 'RoleBinding', 'ClusterRoleBinding'],
      2: ['Secret', 'ConfigMap', 'PersistentVolumeClaim'],
      3: ['Service'],
      4: ['StatefulSet', 'Deployment', 'DaemonSet'],
      5: ['CronJob', 'Job'],
    };
    for (const [tier, kinds] of Object.entries(tiers)) {
      for (const kind of kinds) assert.equal(applyTier({ kind }), Number(tier), kind);
    }
    assert.equal(applyTier({ kind: 'Widget' }), 6);
  });
});
