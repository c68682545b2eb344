import assert from 'node:assert/strict';
import type { KubeObject } from '../../../src/core/kube-object.js';
import { observeImageSyncAt } from '../../../src/kinds/image-sync/observe.js';
import { decideRun, recordName, specHash, type TimedRun } from '../../../src/kinds/image-sync/recurrence.js';
import { renderImageSync } from '../../../src/kinds/image-sync/render.js';
import type { ImageSyncSpec } from '../../../src/kinds/image-sync/spec.js';
import type { ObserveContext } from '../../../src/kinds/types.js';
import { context, observed, pendingTags, syncManifest } from './fixtures.js';

// A Recurrent sync at a frequency no CronJob says at even intervals: the reconciler starts a run when the
// last one is older than the frequency (image-operator's "last execution is older than frequency").
const EVERY_90M: ImageSyncSpec = {
  source: { image: 'quay.io/nginx/nginx-ingress', tag: '3.7-alpine' },
  destination: { image: 'registry.example.com/nginx/nginx-ingress' },
  mode: 'Recurrent',
  schedule: '90m',
};
const T0 = new Date('2026-11-29T10:00:00Z');
const minutes = (n: number) => new Date(T0.getTime() + n * 60_000);

function recordOf(objects: KubeObject[]): Record<string, string> {
  const map = objects.find((o) => o.kind === 'ConfigMap');
  assert.ok(map, 'the run record is rendered');
  return map.data as Record<string, string>;
}

function renderWith(run: TimedRun, pending = pendingTags(1), live: KubeObject[] = []) {
  return renderImageSync(syncManifest(EVERY_90M), context({ ...observed(pending), run }, { live }));
}

describe('Recurrent syncs timed by the reconciler', () => {
  it('runs at once the first time, then when the last run is 90 minutes old, not before', () => {
    const first = decideRun(undefined, EVERY_90M, 5_400_000, T0);
    assert.equal(first.due, true);
    assert.equal(first.record.lastRun, T0.toISOString());
    assert.equal(first.record.nextDue, minutes(90).toISOString());
    assert.equal(decideRun(first.record, EVERY_90M, 5_400_000, minutes(89)).due, false);
    const again = decideRun(first.record, EVERY_90M, 5_400_000, minutes(91));
    assert.equal(again.due, true);
    assert.equal(again.record.lastRun, minutes(91).toISOString());
    assert.equal(again.record.nextDue, minutes(181).toISOString());
  });

  it('runs at once when the spec changed, as image-operator does on a new generation', () => {
    const first = decideRun(undefined, EVERY_90M, 5_400_000, T0);
    const changed = { ...EVERY_90M, destination: { image: 'registry.example.com/other' } };
    const run = decideRun(first.record, changed, 5_400_000, minutes(5));
    assert.deepEqual([run.due, run.reason, run.record.spec], [true, 'spec changed', specHash(changed)]);
  });

  it('renders the copy Job and the record of a due run, and the same record, with no Job, until the next', () => {
    const run = decideRun(undefined, EVERY_90M, 5_400_000, T0);
    const objects = renderWith(run);
    assert.equal(objects.filter((o) => o.kind === 'Job').length, 1);
    assert.equal(objects.filter((o) => o.kind === 'CronJob').length, 0);
    const record = recordOf(objects);
    assert.equal(
      objects.find((o) => o.kind === 'ConfigMap')?.metadata.name,
      recordName(syncManifest(EVERY_90M)),
    );
    assert.deepEqual(record, { ...run.record, runComplete: 'true' });

    const quiet = decideRun(run.record, EVERY_90M, 5_400_000, minutes(30));
    const later = renderWith(quiet, []);
    assert.equal(later.filter((o) => o.kind === 'Job').length, 0);
    assert.deepEqual(recordOf(later), record, 'unchanged record: nothing to write');
  });

  it('keeps a run open while its copies wait for a free Job, and goes on with it at the next sync', () => {
    const spec: ImageSyncSpec = {
      source: { image: 'quay.io/argoproj/argocd' },
      destination: { image: 'registry.example.com/argoproj/argocd' },
      mode: 'Recurrent',
      schedule: '1d',
      tags: { pattern: 'v1.x.x' },
    };
    const run = decideRun(undefined, spec, 86_400_000, T0);
    const objects = renderImageSync(
      syncManifest(spec),
      context({ ...observed(pendingTags(30)), run }, { settings: { maxJobsPerManifest: 2, tagsPerJob: 10 } }),
    );
    assert.equal(objects.filter((o) => o.kind === 'Job').length, 2);
    const record = recordOf(objects) as unknown as TimedRun['record'];
    assert.equal(record.runComplete, 'false');
    const next = decideRun(record, spec, 86_400_000, minutes(5));
    assert.deepEqual(
      [next.due, next.reason, next.record.lastRun],
      [true, 'copies still waiting', T0.toISOString()],
    );
  });

  it('says in status when the next run is due, and asks no registry before it', async () => {
    const manifest = syncManifest(EVERY_90M);
    const first = renderWith(decideRun(undefined, EVERY_90M, 5_400_000, T0));
    const live = first.filter((o) => o.kind === 'ConfigMap');
    const unreachable = () => Promise.reject(new Error('no I/O expected before the run is due'));
    const observeContext: ObserveContext = {
      namespace: 'images',
      settings: context(observed([])).settings,
      live,
      readSecret: unreachable,
      listObjects: unreachable,
    };
    const quiet = await observeImageSyncAt(manifest, observeContext, minutes(30));
    assert.equal(quiet.run?.due, false);
    assert.equal(quiet.pending.length, 0);
    assert.match(quiet.message, /next run due at 2026-11-29T11:30:00.000Z \(every 1h30m/);
  });

  it('runs 45m and 5h at even intervals (reconciler-timed), 15m and 6h as CronJobs', () => {
    for (const schedule of ['45m', '5h', '36h', '2w', '1h30m']) {
      const spec = { ...EVERY_90M, schedule };
      const run = decideRun(undefined, spec, 1, T0);
      const objects = renderImageSync(syncManifest(spec), context({ ...observed(pendingTags(1)), run }));
      assert.deepEqual(objects.map((o) => o.kind).sort(), ['ConfigMap', 'Job'], schedule);
    }
    for (const [schedule, cron] of [
      ['15m', '*/15 * * * *'],
      ['6h', '0 */6 * * *'],
      ['600s', '*/10 * * * *'],
    ]) {
      const objects = renderImageSync(syncManifest({ ...EVERY_90M, schedule }), context(observed([])));
      assert.deepEqual(
        objects.map((o) => [o.kind, (o.spec as { schedule?: string }).schedule]),
        [['CronJob', cron]],
      );
    }
  });
});
