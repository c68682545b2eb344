// A Recurrent ImageSync run by its CronJob under a pull budget, through the whole engine on the real API
// server. The API server runs no CronJob controller: the test plays it, creating each run's Job from the
// CronJob's job template (owned by the CronJob, with the controller's scheduled-timestamp annotation) and
// moving `status.lastScheduleTime`, as Kubernetes does. Each run is charged once when a sync sees it, across
// syncs and a restart of the reconciler, including a run whose Job is already gone; the status says what is
// left, how many of the runs due in a window it covers and when a run fits again. A CronJob whose schedule
// alone overspends its entry's budget is refused, with file, line and field.
import assert from 'node:assert/strict';
import type { KubeObject } from '../../src/core/kube-object.js';
import { RUN_PULLS_ANNOTATION, SCHEDULED_AT_ANNOTATION } from '../../src/jobs/cron-runs.js';
import { type EngineHarness, startEngine } from '../support/engine-harness.js';
import { writeStatus } from '../support/status-subresource.js';

const CRONJOB = { apiVersion: 'batch/v1', kind: 'CronJob' } as const;
const JOB = { apiVersion: 'batch/v1', kind: 'Job' } as const;
const HOUR = 3600_000;
const SOURCE = 'hub.registry.test';

const manifest = (name: string, schedule: string, pulls: number) => `apiVersion: image-gitops.io/v1alpha1
kind: ImageSync
metadata:
  name: ${name}
spec:
  mode: Recurrent
  schedule: "${schedule}"
  source:
    image: ${SOURCE}/team/app
    tag: "1.0"
  destination:
    image: mirror.registry.test/team/app
  registries:
    - host: ${SOURCE}
      budget: { pulls: ${pulls}, per: 6h }
`;

describe('ImageSync run by a CronJob: each run charged once to its pull budget', () => {
  let h: EngineHarness;
  after(async () => {
    await h?.close();
  });

  type BudgetRow = { registry: string; remaining: number; pulls: number; nextAt?: string };
  async function sync(key: string, reconciler = h.reconciler) {
    const report = await reconciler.sync('manual');
    const status = report.manifests.find((m) => m.key === key);
    assert.ok(status, JSON.stringify(report.manifests));
    assert.ok(!['Failed', 'Invalid'].includes(status.result), JSON.stringify(status));
    return { status, budget: (status.details?.budget as BudgetRow[] | undefined)?.[0] };
  }

  async function theCronJob(): Promise<KubeObject> {
    const crons = await h.kube.list(CRONJOB, h.namespace);
    assert.equal(crons.length, 1);
    return crons[0]!;
  }

  /** What the CronJob controller does for a run at `at`: its Job, and lastScheduleTime. */
  async function run(at: number, { keepJob = true } = {}): Promise<void> {
    const cron = await theCronJob();
    const template = (cron.spec as { jobTemplate: { metadata?: KubeObject['metadata']; spec: unknown } })
      .jobTemplate;
    if (keepJob) {
      // History limit 1: the previous run's Job goes as the next one comes.
      for (const old of await h.kube.list(JOB, h.namespace))
        await h.kube.delete(JOB, h.namespace, old.metadata.name);
      await h.kube.create({
        apiVersion: 'batch/v1',
        kind: 'Job',
        metadata: {
          name: `${cron.metadata.name}-${Math.floor(at / 60_000)}`,
          namespace: h.namespace,
          labels: template.metadata?.labels ?? {},
          annotations: {
            ...(template.metadata?.annotations ?? {}),
            [SCHEDULED_AT_ANNOTATION]: new Date(at).toISOString().replace('.000Z', 'Z'),
          },
          ownerReferences: [
            {
              apiVersion: 'batch/v1',
              kind: 'CronJob',
              name: cron.metadata.name,
              uid: cron.metadata.uid,
              controller: true,
              blockOwnerDeletion: true,
            },
          ],
        },
        spec: { ...(template.spec as object), suspend: true },
      });
    }
    await writeStatus(h.kube, {
      ...cron,
      status: { lastScheduleTime: new Date(at).toISOString().replace('.000Z', 'Z') },
    });
  }

  it('charges each run once, across syncs and a restart, and says what the budget covers of the next runs', async () => {
    h = await startEngine({ 'sync/app.yaml': manifest('app', '1h', 10) });
    const first = await sync('ImageSync/app');
    const cron = await theCronJob();
    const template = (cron.spec as { jobTemplate: { metadata?: KubeObject['metadata'] } }).jobTemplate;
    assert.deepEqual(
      JSON.parse(template.metadata?.annotations?.[RUN_PULLS_ANNOTATION] ?? 'null'),
      [{ budget: `${SOURCE} anonymous`, count: 3 }],
      'a run copies the tag whole (--all): priced as an index of two platforms',
    );
    assert.equal(first.budget?.remaining, 10, 'no run yet');
    assert.match(
      String(first.status.details?.observed),
      /each run pulls 3 .*\(10 of 10 pulls per 6h left\): that covers 3 of the 6 runs due in 6h/,
    );

    // Whole seconds, as Kubernetes writes times.
    const now = Math.floor(Date.now() / 1000) * 1000;
    const t1 = now - 130 * 60_000;
    await run(t1);
    const charged = await sync('ImageSync/app');
    assert.equal(charged.budget?.remaining, 7);
    assert.match(String(charged.status.details?.observed), /1 run\(s\) charged this sync/);
    assert.equal((await sync('ImageSync/app')).budget?.remaining, 7, 'the same run is not charged again');

    const restarted = h.restart();
    assert.equal((await sync('ImageSync/app', restarted)).budget?.remaining, 7, 'nor after a restart');

    // The next run's Job is already gone when the reconciler looks: lastScheduleTime says it ran.
    await run(t1 + HOUR, { keepJob: false });
    assert.equal((await sync('ImageSync/app', restarted)).budget?.remaining, 4);
    await run(t1 + 2 * HOUR);
    const spent = await sync('ImageSync/app', restarted);
    assert.equal(spent.budget?.remaining, 1);
    const fits = new Date(t1 + 6 * HOUR).toISOString();
    assert.equal(spent.budget?.nextAt, fits, 'the first run frees its pulls 6h after it ran');
    assert.match(
      String(spent.status.details?.observed),
      new RegExp(
        `\\(1 of 10 pulls per 6h left, 1 run\\(s\\) charged this sync\\): that covers 0 of the 6 runs due in 6h, and the CronJob runs them anyway, over the budget; a run fits again at ${fits.replace(/\./g, '\\.')}`,
      ),
    );
    assert.equal((await sync('ImageSync/app', h.restart())).budget?.remaining, 1, 'three runs, nine pulls');
  });

  it('refuses a CronJob whose schedule alone pulls more than its budget, naming file, line and field', async () => {
    await h.git.commitFiles(h.repo, {
      'sync/app.yaml': manifest('app', '1h', 10),
      'sync/fast.yaml': manifest('fast', '5m', 10),
    });
    const report = await h.reconciler.sync('manual');
    const fast = report.manifests.find((m) => m.key === 'ImageSync/fast');
    assert.equal(fast?.result, 'Invalid', JSON.stringify(fast));
    const problem = fast?.problems[0];
    assert.deepEqual(
      [problem?.location?.file, problem?.location?.field, typeof problem?.location?.line],
      ['sync/fast.yaml', '/spec/schedule', 'number'],
    );
    assert.match(problem?.message ?? '', /72 runs in 6h pull at least 72 times, more than the pull budget/);
    assert.equal((await h.kube.list(CRONJOB, h.namespace)).length, 1, 'no CronJob for it');
  });
});
