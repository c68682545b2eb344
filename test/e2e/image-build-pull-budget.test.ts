// ImageBuild under a pull budget of its base images' registry, through the whole engine on the real API
// server: a new build Job is charged the manifest GETs of its Dockerfile's FROM images (two per architecture:
// the index, then the platform's manifest; stage names and scratch pull nothing), in the stored ledger
// shared with ImageSync; a changed Dockerfile whose build does not fit what is left gets no Job, the status
// says it waits and until when (also after a restart), and it is created once the budget allows it.
import assert from 'node:assert/strict';
import type { KubeObject } from '../../src/core/kube-object.js';
import { RUN_PULLS_ANNOTATION } from '../../src/jobs/cron-runs.js';
import { type EngineHarness, startEngine } from '../support/engine-harness.js';

const JOB = { apiVersion: 'batch/v1', kind: 'Job' } as const;
const HUB = 'hub.registry.test';
const SIX_HOURS = 6 * 3600_000;

const manifest = (from: string, pulls: number) => `apiVersion: image-gitops.io/v1alpha1
kind: ImageBuild
metadata:
  name: app
spec:
  image: push.registry.test/team/app
  architectures: [amd64, arm64]
  inline: |
    ARG BASE=${HUB}/library/alpine
    FROM ${HUB}/library/golang:1.22 AS build
    RUN echo build
    FROM build AS test
    FROM scratch AS empty
    FROM \${BASE}:${from}
    COPY --from=build /etc/hostname /built
  registries:
    - host: ${HUB}
      budget: { pulls: ${pulls}, per: 6h }
`;

describe('ImageBuild pull budget: base-image pulls charged, a build that would overspend waits', () => {
  let h: EngineHarness;
  after(async () => {
    await h?.close();
  });

  type BudgetRow = { registry: string; remaining: number; deferred: number; nextAt?: string };
  async function sync(reconciler = h.reconciler) {
    const report = await reconciler.sync('manual');
    const status = report.manifests.find((m) => m.key === 'ImageBuild/app');
    assert.ok(status, JSON.stringify(report.manifests));
    assert.ok(!['Failed', 'Invalid'].includes(status.result), JSON.stringify(status));
    return { status, budget: (status.details?.budget as BudgetRow[] | undefined)?.[0] };
  }
  const builds = async (): Promise<KubeObject[]> =>
    (await h.kube.list(JOB, h.namespace)).filter((j) => j.metadata.name.startsWith('app-build'));

  it('charges a new build its base pulls, and defers the next one until they are left', async () => {
    h = await startEngine({ 'build/app.yaml': manifest('3.19', 10) });
    const first = await sync();
    const [job] = await builds();
    assert.ok(job, 'the build Job');
    // golang and alpine, two architectures, two GETs each.
    assert.deepEqual(JSON.parse(job.metadata.annotations?.[RUN_PULLS_ANNOTATION] ?? 'null'), [
      { budget: `${HUB} anonymous`, count: 8 },
    ]);
    assert.deepEqual(
      [first.budget?.registry, first.budget?.remaining, first.budget?.deferred],
      [`${HUB} anonymous`, 2, 0],
    );
    assert.match(
      String(first.status.details?.observed),
      new RegExp(`base images pull 8 from ${HUB} anonymous`),
    );

    // The live build is not charged again.
    const again = await sync();
    assert.equal(again.budget, undefined, 'nothing to price: the build exists');
    assert.equal((await builds()).length, 1);

    // A new base: a new build, 8 pulls, 2 left.
    const started = Date.now();
    await h.git.commitFiles(h.repo, { 'build/app.yaml': manifest('3.20', 10) });
    const deferred = await sync();
    // No Job for the new build (the old content's Job goes with its content, as without a budget).
    assert.deepEqual(await builds(), [], 'no Job for the new build');
    assert.deepEqual([deferred.budget?.remaining, deferred.budget?.deferred], [2, 1]);
    assert.equal(deferred.status.details?.budgetDeferred, 1);
    const nextAt = Date.parse(deferred.budget?.nextAt ?? '');
    assert.ok(
      nextAt >= started + SIX_HOURS - 60_000 && nextAt <= Date.now() + SIX_HOURS,
      deferred.budget?.nextAt,
    );
    assert.match(
      String(deferred.status.details?.observed),
      new RegExp(
        `the new build waits for the pull budget of ${HUB} anonymous \\(2 of 10 pulls per 6h left\\), next at `,
      ),
    );

    const restarted = h.restart();
    const afterRestart = await sync(restarted);
    assert.deepEqual(
      [afterRestart.budget?.remaining, afterRestart.budget?.deferred],
      [2, 1],
      'the ledger was kept',
    );
    assert.deepEqual(await builds(), []);

    // Eight more pulls declared: the build fits (2 + 8 left), and is charged.
    await h.git.commitFiles(h.repo, { 'build/app.yaml': manifest('3.20', 18) });
    const built = await sync(restarted);
    const now = await builds();
    assert.equal(now.length, 1, 'the new build');
    assert.notEqual(now[0]?.metadata.name, job.metadata.name);
    assert.deepEqual([built.budget?.remaining, built.budget?.deferred], [2, 0]);
    assert.equal((await sync(restarted)).budget, undefined, 'and not charged twice');
  });
});
