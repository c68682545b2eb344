// Copies within pull budgets, as plain data: the price of a copy in manifest GETs, newest first within what
// is left, what live Jobs already make, the budget a manifest declares, and what the engine charges.
import assert from 'node:assert/strict';
import { DEFAULT_SETTINGS, type Settings, settingsFromEnv } from '../../../src/config/settings.js';
import type { KubeObject } from '../../../src/core/kube-object.js';
import { pullsOfCreatedJobs } from '../../../src/engine/pull-budgets.js';
import {
  budgetAnswers,
  budgetCopies,
  copyPulls,
  declaredBudget,
  describeBudgets,
  planWithinBudgets,
  type SourceBudget,
} from '../../../src/jobs/copy-budget.js';
import { type PendingCopy, SYNC_COPIES_ANNOTATION } from '../../../src/jobs/copy-jobs.js';
import { checkImageBackup } from '../../../src/kinds/image-backup/check.js';
import { checkImageSync } from '../../../src/kinds/image-sync/check.js';
import type { Change } from '../../../src/plan/change.js';
import { PullBudgetBook } from '../../../src/registry/pull-budget.js';

const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
const OCI_IMAGE = 'application/vnd.oci.image.manifest.v1+json';
const HUB: SourceBudget = {
  key: 'docker.io as robot',
  budget: { pulls: 3, perMs: 6 * 3600_000, platformsPerIndex: 2 },
};
const copy = (tag: string): PendingCopy => ({ sourceRef: tag, digest: `sha256:${tag.padEnd(64, '0')}` });
const ONE = () => 1;

function copyJob(copies: PendingCopy[], phase?: 'Complete' | 'Failed'): KubeObject {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: 'j', annotations: { [SYNC_COPIES_ANNOTATION]: JSON.stringify(copies) } },
    ...(phase ? { status: { conditions: [{ type: phase, status: 'True' }] } } : {}),
  };
}

describe('copies within pull budgets', () => {
  it('prices a copy in the manifest GETs skopeo makes at the source (as measured against distribution)', () => {
    assert.equal(copyPulls(OCI_IMAGE, { platformsPerIndex: 2 }), 1, 'one image');
    assert.equal(copyPulls(OCI_INDEX, { platformsPerIndex: 2 }), 3, '--all: the index and each platform');
    assert.equal(copyPulls(OCI_INDEX, { platformsPerIndex: 3 }), 4);
    assert.equal(copyPulls(OCI_INDEX, { platform: 'linux/arm64', platformsPerIndex: 2 }), 2);
    assert.equal(copyPulls(undefined, { platformsPerIndex: 2 }), 3, 'unknown (a 304): an index, never under');
    assert.equal(copyPulls(OCI_IMAGE, { platformsPerIndex: 2, artifactTags: 2 }), 3, 'its cosign tags');
    assert.equal(
      copyPulls(OCI_IMAGE, { platformsPerIndex: 2, artifactTags: 1, referrers: 2 }),
      4,
      'its OCI referrers, one manifest GET each',
    );
  });

  it('plans the newest first within what is left, and defers every older copy once one does not fit', () => {
    const plan = planWithinBudgets({
      pending: ['v5', 'v4', 'v3', 'v2', 'v1'].map(copy),
      covered: new Set(),
      budgetOf: () => HUB,
      pullsOf: (c) => (c.sourceRef === 'v3' ? 2 : 1),
      left: new Map([[HUB.key, 3]]),
    });
    assert.deepEqual(
      plan.pending.map((c) => [c.sourceRef, c.pulls?.count]),
      [
        ['v5', 1],
        ['v4', 1],
      ],
      'v3 needs 2 of the 1 left: it and the older v2, v1 wait, though v2 would fit',
    );
    assert.deepEqual(plan.byKey.get(HUB.key), { planned: 2, deferred: 3, firstNeeds: 2 });
    assert.equal(plan.pending[0]?.pulls?.budget, HUB.key);
  });

  it('keeps copies live Jobs make (charged when created) and copies of sources without a budget', () => {
    const plan = planWithinBudgets({
      pending: ['v3', 'v2', 'free'].map(copy),
      covered: new Set([`v3@${copy('v3').digest}`]),
      budgetOf: (c) => (c.sourceRef === 'free' ? undefined : HUB),
      pullsOf: ONE,
      left: new Map([[HUB.key, 0]]),
    });
    assert.deepEqual(
      plan.pending.map((c) => c.sourceRef),
      ['v3', 'free'],
    );
    assert.equal(plan.pending[0]?.pulls, undefined, 'not priced again');
    assert.equal(plan.byKey.get(HUB.key)?.deferred, 1);
  });

  it("reserves in the sync's book what it plans, so a second manifest on the budget sees the rest", () => {
    const now = Date.parse('2026-11-30T00:00:00Z');
    const book = new PullBudgetBook({}, () => now);
    const first = budgetCopies({
      pending: ['a2', 'a1'].map(copy),
      live: [],
      settings: DEFAULT_SETTINGS,
      book,
      budgetOf: () => HUB,
      pullsOf: ONE,
    });
    assert.deepEqual(
      first.pending.map((c) => c.sourceRef),
      ['a2', 'a1'],
    );
    const second = budgetCopies({
      pending: ['b3', 'b2', 'b1'].map(copy),
      live: [],
      settings: DEFAULT_SETTINGS,
      book,
      budgetOf: () => HUB,
      pullsOf: ONE,
    });
    assert.deepEqual(
      second.pending.map((c) => c.sourceRef),
      ['b3'],
    );
    assert.equal(second.deferred, 2);
    assert.deepEqual(second.budgets, [
      {
        registry: HUB.key,
        pulls: 3,
        per: '6h',
        remaining: 0,
        deferred: 2,
        // What this sync reserved is charged as its Jobs are created: it frees up 6h on.
        nextAt: '2026-11-30T06:00:00.000Z',
      },
    ]);
    assert.deepEqual(book.ledger(), {}, 'nothing charged before a Job is created');
    // Charged Jobs leave the window 6h on: that is when the deferred copies fit.
    book.charge(HUB.key, 3);
    const third = budgetCopies({
      pending: [copy('c1')],
      live: [],
      settings: DEFAULT_SETTINGS,
      book: new PullBudgetBook(book.ledger(), () => now),
      budgetOf: () => HUB,
      pullsOf: ONE,
    });
    assert.equal(third.budgets[0]?.nextAt, '2026-11-30T06:00:00.000Z');
    assert.match(
      describeBudgets(third.budgets),
      /^; 1 deferred by the pull budget of docker\.io as robot \(0 of 3 pulls per 6h left, next at 2026-11-30T06:00:00\.000Z\)$/,
    );
  });

  it('reserves only what the Job bounds let this sync create', () => {
    const book = new PullBudgetBook({});
    const settings: Settings = {
      ...DEFAULT_SETTINGS,
      imageSync: { ...DEFAULT_SETTINGS.imageSync, maxJobsPerManifest: 1, tagsPerJob: 1 },
    };
    const big: SourceBudget = { ...HUB, budget: { ...HUB.budget, pulls: 10 } };
    budgetCopies({
      pending: ['v3', 'v2', 'v1'].map(copy),
      live: [copyJob([copy('old')], 'Failed')],
      settings,
      book,
      budgetOf: () => big,
      pullsOf: ONE,
    });
    assert.equal(book.remaining(big.key, big.budget), 9, 'one Job of one tag: one pull reserved');
  });

  it("takes the budget of the manifest's own entry over SYNC_REGISTRIES, keyed by host and user name", () => {
    const settings: Settings = {
      ...DEFAULT_SETTINGS,
      registries: [{ host: 'index.docker.io', budget: { pulls: 180, per: '6h' } }],
    };
    assert.deepEqual(declaredBudget('docker.io', {}, settings, 'ns', 'robot'), {
      key: 'docker.io as robot',
      budget: { pulls: 180, perMs: 6 * 3600_000, platformsPerIndex: 2 },
    });
    const own = {
      registries: [{ host: 'docker.io', budget: { pulls: 5, per: '1h30m', platformsPerIndex: 4 } }],
    };
    assert.deepEqual(declaredBudget('docker.io', own, settings, 'ns', undefined), {
      key: 'docker.io anonymous',
      budget: { pulls: 5, perMs: 5_400_000, platformsPerIndex: 4 },
    });
    assert.equal(declaredBudget('quay.io', own, settings, 'ns', 'robot'), undefined);
    const zero = { registries: [{ host: 'docker.io', budget: { pulls: 5, per: '0s' } }] };
    assert.throws(
      () => declaredBudget('docker.io', zero, settings, 'ns', 'robot'),
      /a window of a second or more/,
    );
  });

  it("feeds a budgeted source's answers to the book: its manifest GETs charged, its rate-limit headers read", () => {
    const now = Date.parse('2026-11-30T00:00:00Z');
    const book = new PullBudgetBook({}, () => now);
    book.declare(HUB.key, HUB.budget);
    const onAnswer = budgetAnswers(book, new Map([['index.docker.io', HUB]]));
    const answer = (registry: string, method: string, path: string, status = 200, headers = {}) =>
      onAnswer(registry, { method, path, status, headers });
    answer('docker.io', 'GET', '/v2/library/nginx/manifests/1.27');
    answer('docker.io', 'HEAD', '/v2/library/nginx/manifests/1.26');
    answer('docker.io', 'GET', '/v2/library/nginx/tags/list');
    answer('docker.io', 'GET', '/v2/library/nginx/blobs/sha256:00');
    answer('docker.io', 'GET', '/v2/library/nginx/manifests/gone', 404);
    answer('quay.io', 'GET', '/v2/x/manifests/1');
    assert.deepEqual(book.ledger()[HUB.key]?.charges, [[now / 1000 + 6 * 3600, 1]], 'one manifest GET');
    answer('docker.io', 'GET', `/v2/library/nginx/referrers/sha256:${'a'.repeat(64)}`);
    answer('docker.io', 'GET', `/v2/library/nginx/referrers/sha256:${'b'.repeat(64)}`, 404);
    assert.deepEqual(
      book.ledger()[HUB.key]?.charges,
      [
        [now / 1000 + 6 * 3600, 1],
        [now / 1000 + 6 * 3600, 1],
      ],
      'a referrers page answered is charged like a manifest GET; a 404 is not',
    );
    answer('docker.io', 'HEAD', '/v2/library/nginx/manifests/1.26', 200, { 'ratelimit-remaining': '0;w=60' });
    assert.equal(book.remaining(HUB.key, HUB.budget), 0);
  });

  it('refuses a budget window under a second when the manifest is validated, at its field', () => {
    assert.deepEqual(
      checkImageSync({
        source: { image: 'docker.io/library/nginx', tag: '1' },
        destination: { image: 'mirror.example.com/nginx' },
        registries: [{ host: 'quay.io' }, { host: 'docker.io', budget: { pulls: 5, per: '0s' } }],
      }),
      [
        {
          field: '/spec/registries/1/budget/per',
          message:
            '"0s" is no window: give a duration of a second or more (500ms, 30s, 5m, 1h30m, 36h, 1d, 2w)',
        },
      ],
    );
    assert.deepEqual(
      checkImageBackup({
        backupRegistry: 'mirror.example.com/backup',
        registries: [{ host: 'docker.io', budget: { pulls: 5, per: '6h' } }],
      }),
      [],
    );
  });

  it('reads a budget of SYNC_REGISTRIES, and refuses one that is not pulls and a window', () => {
    const env = (budget: unknown) => ({ SYNC_REGISTRIES: JSON.stringify([{ host: 'docker.io', budget }]) });
    assert.deepEqual(settingsFromEnv(env({ pulls: 180, per: '6h' })).registries[0]?.budget, {
      pulls: 180,
      per: '6h',
    });
    for (const wrong of [
      { pulls: 0, per: '6h' },
      { pulls: 5, per: 'often' },
      { pulls: 5 },
      { pulls: 5, per: '6h', x: 1 },
    ])
      assert.throws(() => settingsFromEnv(env(wrong)), /SYNC_REGISTRIES: the budget of docker\.io must be/);
  });

  it('charges the copy Jobs created, by budget, and nothing a dry run planned or a live Job kept', () => {
    const job = copyJob([
      { ...copy('v2'), pulls: { budget: HUB.key, count: 3 } },
      { ...copy('v1'), pulls: { budget: HUB.key, count: 1 } },
      copy('free'),
    ]);
    const change = (action: Change['action'], result: 'applied' | 'planned' | 'unchanged'): Change => ({
      action,
      object: job,
      manifestKey: 'ImageSync/a',
      reason: { code: 'NotInCluster', message: '' },
      outcome: { result },
    });
    assert.deepEqual(
      [...pullsOfCreatedJobs([change('create', 'applied'), change('replace', 'applied')])],
      [[HUB.key, 8]],
    );
    assert.deepEqual(
      [...pullsOfCreatedJobs([change('create', 'planned'), change('unchanged', 'unchanged')])],
      [],
    );
  });
});
