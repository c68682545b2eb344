import assert from 'node:assert/strict';
import type { KubeObject } from '../../../src/core/kube-object.js';
import { canonicalRef } from '../../../src/kinds/image-backup/images.js';
import type { BackupState, ImageBackupObserved } from '../../../src/kinds/image-backup/observe.js';
import {
  planWorkloadRestores,
  planWorkloadRewrites,
  type WorkloadRewrite,
} from '../../../src/kinds/image-backup/rewrite.js';
import { readWorkload, type WorkloadImages } from '../../../src/kinds/image-backup/workloads.js';
import { podSpec, workload } from './fixtures.js';

const BACKUP = 'registry.example.com/backup';
const KEY = 'ImageBackup/image-gitops/all';
const DIGEST = `sha256:${'ab'.repeat(32)}`;
const ORIGINALS = 'image-gitops.io/original-images';
const RECORD = 'image-gitops.io/backup-rewrite';

function observedOf(objects: KubeObject[], states: Record<string, BackupState>): ImageBackupObserved {
  return {
    manifestKey: KEY,
    workloads: objects.map((o) => readWorkload(o) as WorkloadImages),
    images: Object.entries(states).map(([image, state]) => ({
      sourceRef: canonicalRef(image)!,
      backup: '',
      state,
    })),
    pending: [],
    files: { cas: {} },
    message: '',
  };
}

/** The workload after the API server merged the patch: images replaced by name, annotations replaced. */
function applied(object: KubeObject, rewrite: WorkloadRewrite): KubeObject {
  const copy = structuredClone(object);
  const annotations = { ...(copy.metadata.annotations ?? {}) };
  delete annotations[ORIGINALS];
  delete annotations[RECORD];
  copy.metadata.annotations = { ...annotations, ...(rewrite.patch.metadata.annotations ?? {}) };
  const find = (o: unknown, path: string[]) =>
    path.reduce<unknown>((n, k) => (n as Record<string, unknown> | undefined)?.[k], o) as
      | Record<string, Array<{ name: string; image: string }>>
      | undefined;
  const path = object.kind === 'Deployment' ? ['spec', 'template', 'spec'] : ['spec'];
  const target = find(copy, path);
  const patch = find(rewrite.patch, path);
  for (const list of ['containers', 'initContainers']) {
    for (const c of patch?.[list] ?? []) {
      const live = target?.[list]?.find((x) => x.name === c.name);
      if (live) live.image = c.image;
    }
  }
  return copy;
}

const deployment = () =>
  workload(
    'Deployment',
    'web',
    podSpec(
      [
        { name: 'app', image: 'nginx:1.23' },
        { name: 'pinned', image: `grafana/grafana@${DIGEST}` },
      ],
      [{ name: 'init', image: 'ghcr.io/acme/setup:v1' }],
    ),
  );

describe('ImageBackup rewrite planning', () => {
  it('plans nothing while rewrite is off and nothing was rewritten', () => {
    assert.deepEqual(
      planWorkloadRewrites(observedOf([deployment()], { 'nginx:1.23': 'upToDate' }), {
        backupRegistry: BACKUP,
      }),
      [],
    );
  });

  it('points containers at copies whose digest matches, and records the originals (digest kept)', () => {
    const states = {
      'nginx:1.23': 'upToDate',
      [`grafana/grafana@${DIGEST}`]: 'upToDate',
      'ghcr.io/acme/setup:v1': 'pending',
    } as const;
    const [rewrite] = planWorkloadRewrites(observedOf([deployment()], states), {
      backupRegistry: BACKUP,
      rewrite: true,
    });
    assert.equal(rewrite?.action, 'rewrite');
    assert.deepEqual(rewrite?.patch, {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: {
        name: 'web',
        namespace: 'apps',
        uid: 'uid-web',
        annotations: {
          [ORIGINALS]: JSON.stringify({ app: 'nginx:1.23', pinned: `grafana/grafana@${DIGEST}` }),
          [RECORD]: JSON.stringify({ manifest: KEY, backupRegistry: BACKUP }),
        },
      },
      spec: {
        template: {
          spec: {
            containers: [
              { name: 'app', image: `${BACKUP}/index_docker_io/library/nginx:1.23` },
              {
                name: 'pinned',
                image: `${BACKUP}/index_docker_io/grafana/grafana:sha256_${DIGEST.slice(7)}@${DIGEST}`,
              },
            ],
          },
        },
      },
    });
  });

  it('adds a container once its copy is ready, keeps the rewritten ones, then reaches a steady state', () => {
    const spec = { backupRegistry: BACKUP, rewrite: true };
    const first = { 'nginx:1.23': 'upToDate', 'ghcr.io/acme/setup:v1': 'pending' } as const;
    const [one] = planWorkloadRewrites(observedOf([deployment()], first), spec);
    const afterOne = applied(deployment(), one!);
    // nginx:1.23 moved at the source: its copy is pending again, the container stays on the backup copy.
    const second = { 'nginx:1.23': 'pending', 'ghcr.io/acme/setup:v1': 'upToDate' } as const;
    const [two] = planWorkloadRewrites(observedOf([afterOne], second), spec);
    const patch = two!.patch.spec as { template: { spec: Record<string, unknown> } };
    assert.deepEqual(patch.template.spec, {
      initContainers: [{ name: 'init', image: `${BACKUP}/ghcr_io/acme/setup:v1` }],
      containers: [{ name: 'app', image: `${BACKUP}/index_docker_io/library/nginx:1.23` }],
    });
    const afterTwo = applied(afterOne, two!);
    assert.deepEqual(JSON.parse(afterTwo.metadata.annotations![ORIGINALS]!), {
      app: 'nginx:1.23',
      init: 'ghcr.io/acme/setup:v1',
    });
    assert.deepEqual(planWorkloadRewrites(observedOf([afterTwo], second), spec), [], 'steady state');
  });

  it('undoes a rewrite when rewrite turns false: original images back (digest included), annotations dropped', () => {
    const states = { 'nginx:1.23': 'upToDate', [`grafana/grafana@${DIGEST}`]: 'upToDate' } as const;
    const [rewrite] = planWorkloadRewrites(observedOf([deployment()], states), {
      backupRegistry: BACKUP,
      rewrite: true,
    });
    const rewritten = applied(deployment(), rewrite!);
    const [undo] = planWorkloadRewrites(observedOf([rewritten], states), {
      backupRegistry: BACKUP,
      rewrite: false,
    });
    assert.equal(undo?.action, 'restore');
    assert.equal(undo?.patch.metadata.annotations, undefined, 'our annotations are no longer applied');
    const restored = applied(rewritten, undo!);
    assert.deepEqual(
      (restored.spec as { template: { spec: unknown } }).template.spec,
      (deployment().spec as { template: { spec: unknown } }).template.spec,
    );
    assert.deepEqual(planWorkloadRewrites(observedOf([restored], states), { backupRegistry: BACKUP }), []);
  });

  it('leaves alone, on undo, a container whose image someone changed after the rewrite', () => {
    const states = { 'nginx:1.23': 'upToDate', [`grafana/grafana@${DIGEST}`]: 'upToDate' } as const;
    const [rewrite] = planWorkloadRewrites(observedOf([deployment()], states), {
      backupRegistry: BACKUP,
      rewrite: true,
    });
    const rewritten = applied(deployment(), rewrite!);
    const pod = (
      rewritten.spec as { template: { spec: { containers: Array<{ name: string; image: string }> } } }
    ).template.spec;
    pod.containers[0]!.image = 'nginx:1.25';
    const [undo] = planWorkloadRewrites(observedOf([rewritten], states), { backupRegistry: BACKUP });
    const patch = undo!.patch.spec as { template: { spec: { containers: unknown[] } } };
    assert.deepEqual(patch.template.spec.containers, [
      { name: 'pinned', image: `grafana/grafana@${DIGEST}` },
    ]);
  });

  it('restores the workloads of a removed ImageBackup, and only those', () => {
    const states = { 'nginx:1.23': 'upToDate' } as const;
    const [rewrite] = planWorkloadRewrites(observedOf([deployment()], states), {
      backupRegistry: BACKUP,
      rewrite: true,
    });
    const rewritten = readWorkload(applied(deployment(), rewrite!)) as WorkloadImages;
    assert.deepEqual(planWorkloadRestores([rewritten], new Set([KEY])), []);
    const [undo] = planWorkloadRestores([rewritten], new Set());
    assert.equal(undo?.action, 'restore');
    assert.match(JSON.stringify(undo?.patch), /"image":"nginx:1.23"/);
  });

  it('leaves a workload rewritten by another ImageBackup to that manifest', () => {
    const other = workload('Deployment', 'x', podSpec([{ name: 'a', image: 'nginx:1.23' }]), {
      annotations: { [RECORD]: JSON.stringify({ manifest: 'ImageBackup/other', backupRegistry: BACKUP }) },
    });
    assert.deepEqual(
      planWorkloadRewrites(observedOf([other], { 'nginx:1.23': 'upToDate' }), {
        backupRegistry: BACKUP,
        rewrite: true,
      }),
      [],
    );
  });

  it('rewrites a bare Pod and a CronJob at their own pod spec paths, never a Job', () => {
    const objects = [
      workload('Pod', 'p', podSpec([{ name: 'a', image: 'nginx:1.23' }])),
      workload('CronJob', 'c', podSpec([{ name: 'a', image: 'nginx:1.23' }])),
      workload('Job', 'j', podSpec([{ name: 'a', image: 'nginx:1.23' }])),
    ];
    const plan = planWorkloadRewrites(observedOf(objects, { 'nginx:1.23': 'upToDate' }), {
      backupRegistry: BACKUP,
      rewrite: true,
    });
    assert.deepEqual(
      plan.map((r) => r.object.kind),
      ['Pod', 'CronJob'],
    );
    const image = `${BACKUP}/index_docker_io/library/nginx:1.23`;
    assert.deepEqual(plan[0]!.patch.spec, { containers: [{ name: 'a', image }] });
    assert.deepEqual(plan[1]!.patch.spec, {
      jobTemplate: { spec: { template: { spec: { containers: [{ name: 'a', image }] } } } },
    });
  });
});
