// A CronJob's runs under pull budgets, as plain data: which runs a sync has not charged yet (its Jobs by
// ownerReference, its lastScheduleTime, the schedule between), each once; the pulls a run carries; the book
// charging a past run until `per` after it ran; and ImageSync's CronJob charged and refused when its schedule
// alone overspends.
import assert from 'node:assert/strict';
import type { KubeObject } from '../../../src/core/kube-object.js';
import {
  RUN_PULLS_ANNOTATION,
  readRunPulls,
  runPullsAnnotation,
  runsCovered,
  runsPerWindow,
  SCHEDULED_AT_ANNOTATION,
  unchargedRuns,
} from '../../../src/jobs/cron-runs.js';
import { checkImageSync } from '../../../src/kinds/image-sync/check.js';
import { chargeCronRuns, runPrice } from '../../../src/kinds/image-sync/cron-budget.js';
import type { ImageSyncSpec } from '../../../src/kinds/image-sync/spec.js';
import { PullBudgetBook } from '../../../src/registry/pull-budget.js';

const HOUR = 3600_000;
const T0 = Date.parse('2026-11-30T00:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString();
const PULLS = [{ budget: 'docker.io as robot', count: 3 }];

function cron(lastScheduleTime?: number, uid = 'cron-uid'): KubeObject {
  return {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: { name: 'app-sync', namespace: 'ns', uid },
    spec: { jobTemplate: { metadata: { annotations: runPullsAnnotation(PULLS) } } },
    ...(lastScheduleTime !== undefined ? { status: { lastScheduleTime: iso(lastScheduleTime) } } : {}),
  };
}

function job(name: string, scheduledAt: number, owner = 'cron-uid', pulls = PULLS): KubeObject {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name,
      annotations: { [SCHEDULED_AT_ANNOTATION]: iso(scheduledAt), ...runPullsAnnotation(pulls) },
      creationTimestamp: iso(scheduledAt + 2000),
      ownerReferences: [{ kind: 'CronJob', name: 'app-sync', uid: owner }],
    },
  };
}

describe('CronJob runs under a pull budget', () => {
  it('reads the pulls of a run, and nothing from a malformed annotation', () => {
    assert.deepEqual(readRunPulls(runPullsAnnotation(PULLS)), PULLS);
    assert.deepEqual(readRunPulls({ [RUN_PULLS_ANNOTATION]: '{oops' }), []);
    assert.deepEqual(readRunPulls({ [RUN_PULLS_ANNOTATION]: '[{"budget":"x","count":-1}]' }), []);
    assert.deepEqual(runPullsAnnotation([]), {});
  });

  it('finds the runs of its own Jobs and lastScheduleTime, once each, and moves the mark', () => {
    const jobs = [job('a', T0), job('b', T0 + HOUR), job('other', T0 + HOUR, 'another-cron')];
    const first = unchargedRuns(cron(T0 + HOUR), jobs, undefined);
    assert.deepEqual(
      first.runs.map((r) => iso(r.at)),
      [iso(T0), iso(T0 + HOUR)],
      'its two Jobs; lastScheduleTime is the second one, not a third run; another CronJob’s Job is not its',
    );
    assert.deepEqual(first.mark, { uid: 'cron-uid', last: iso(T0 + HOUR) });
    const again = unchargedRuns(cron(T0 + HOUR), jobs, first.mark);
    assert.deepEqual(again.runs, [], 'the same runs are not charged again');
    // A later run whose Job is already gone (history limit 1) is known from lastScheduleTime.
    const later = unchargedRuns(cron(T0 + 2 * HOUR), jobs, first.mark);
    assert.deepEqual(
      later.runs.map((r) => [iso(r.at), r.pulls]),
      [[iso(T0 + 2 * HOUR), PULLS]],
    );
  });

  it('fills in the runs of a frequency between the last charged and lastScheduleTime', () => {
    const mark = { uid: 'cron-uid', last: iso(T0) };
    const runs = unchargedRuns(cron(T0 + 4 * HOUR), [], mark, HOUR).runs.map((r) => r.at);
    assert.deepEqual(runs, [T0 + HOUR, T0 + 2 * HOUR, T0 + 3 * HOUR, T0 + 4 * HOUR]);
    assert.deepEqual(
      unchargedRuns(cron(T0 + 4 * HOUR), [], mark).runs.length,
      1,
      'no frequency: the last only',
    );
  });

  it('starts afresh for a new CronJob (another uid), and finds nothing without a uid', () => {
    const mark = { uid: 'old-uid', last: iso(T0 + 10 * HOUR) };
    assert.equal(unchargedRuns(cron(T0 + HOUR, 'new-uid'), [], mark).runs.length, 1);
    const noUid = cron(T0);
    delete noUid.metadata.uid;
    assert.deepEqual(unchargedRuns(noUid, [], undefined), { runs: [] });
  });

  it('says how many runs of a window the pulls left cover', () => {
    assert.equal(runsPerWindow(HOUR, 6 * HOUR), 6);
    assert.equal(runsPerWindow(undefined, 6 * HOUR), undefined);
    assert.deepEqual(runsCovered(7, 3, 6), { covered: 2, wanted: 6 });
    assert.deepEqual(runsCovered(30, 3, 6), { covered: 6, wanted: 6 });
    assert.deepEqual(runsCovered(2, 3, undefined), { covered: 0 });
  });

  it('charges a past run until per after it ran, and not at all once that has passed', () => {
    const now = T0 + 5 * HOUR;
    const book = new PullBudgetBook({}, () => now);
    const budget = { pulls: 10, perMs: 6 * HOUR, platformsPerIndex: 2 };
    book.declare('k', budget);
    book.chargeAt('k', 3, T0 + HOUR); // counted until T0 + 7h
    book.chargeAt('k', 4, T0 - 2 * HOUR); // freed at T0 + 4h: already gone
    assert.equal(book.remaining('k', budget), 7);
    assert.deepEqual(book.ledger().k?.charges, [[(T0 + 7 * HOUR) / 1000, 3]]);
    assert.equal(book.nextAt('k', budget, 10)?.toISOString(), iso(T0 + 7 * HOUR));
  });
});

describe('ImageSync run by a CronJob under a pull budget', () => {
  const spec = (schedule: string, budget?: { pulls: number; per: string }): ImageSyncSpec =>
    ({
      mode: 'Recurrent',
      schedule,
      source: { image: 'docker.io/library/nginx', tag: '1.27' },
      destination: { image: 'registry.example/mirror/nginx' },
      ...(budget ? { registries: [{ host: 'docker.io', budget }] } : {}),
    }) as ImageSyncSpec;
  const hub = { key: 'docker.io as robot', budget: { pulls: 10, perMs: 6 * HOUR, platformsPerIndex: 2 } };

  it('prices a run as an index copied whole, or one platform of one', () => {
    assert.equal(runPrice(spec('1h'), 2), 3);
    assert.equal(runPrice({ ...spec('1h'), platforms: ['linux/arm64'] }, 2), 2);
  });

  it('charges the runs seen once, and says the budget covers 2 of the 6 runs due in 6h', () => {
    const now = T0 + 2 * HOUR + 60_000;
    const book = new PullBudgetBook({}, () => now);
    const input = { spec: spec('1h'), source: hub, book, jobs: [job('a', T0 + 2 * HOUR)] };
    const first = chargeCronRuns({ ...input, cron: cron(T0 + 2 * HOUR), mark: undefined });
    assert.deepEqual(first.runPulls, [{ budget: 'docker.io as robot', count: 3 }]);
    assert.equal(first.budget[0]?.remaining, 7);
    assert.match(
      first.message,
      /each run pulls 3 .* \(7 of 10 pulls per 6h left, 1 run\(s\) charged this sync\)/,
    );
    assert.match(first.message, /covers 2 of the 6 runs due in 6h, and the CronJob runs them anyway/);
    assert.ok(first.mark);
    const second = chargeCronRuns({ ...input, cron: cron(T0 + 2 * HOUR), mark: first.mark });
    assert.equal(second.budget[0]?.remaining, 7, 'not charged twice');
    assert.equal(second.mark, undefined, 'the mark did not move');
    const spent = chargeCronRuns({
      ...input,
      jobs: [],
      cron: cron(T0 + 4 * HOUR),
      mark: first.mark,
    });
    assert.equal(spent.budget[0]?.remaining, 1, 'the runs at 3h and 4h, filled in from the frequency');
    assert.match(spent.message, /a run fits again at 2026-11-30T08:00:00.000Z/);
    assert.equal(spent.budget[0]?.nextAt, '2026-11-30T08:00:00.000Z');
  });

  it('refuses a CronJob whose schedule alone pulls more than its entry’s budget, at /spec/schedule', () => {
    const refused = checkImageSync(spec('1m', { pulls: 180, per: '6h' }));
    assert.deepEqual(
      refused.map((p) => p.field),
      ['/spec/schedule'],
    );
    assert.match(
      refused[0]?.message ?? '',
      /360 runs in 6h pull at least 360 times, more than the pull budget of docker.io \(180 per 6h\)/,
    );
    assert.deepEqual(checkImageSync(spec('5m', { pulls: 180, per: '6h' })), [], '72 runs fit 180');
    assert.deepEqual(checkImageSync(spec('1m')), [], 'no budget');
  });
});
