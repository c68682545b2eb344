// A build under pull budgets, as plain data: its pulls by budget, whether it fits (then reserved) or waits
// (until the latest of its budgets allows it; never when one is smaller than what it pulls), its Dockerfile
// found in the repo's files, and the engine charging a created build Job what its annotation says.
import assert from 'node:assert/strict';
import type { KubeObject } from '../../../src/core/kube-object.js';
import { pullsOfCreatedJobs } from '../../../src/engine/pull-budgets.js';
import type { SourceBudget } from '../../../src/jobs/copy-budget.js';
import { runPullsAnnotation } from '../../../src/jobs/cron-runs.js';
import { baseImages } from '../../../src/kinds/image-build/base-images.js';
import { checkImageBuild } from '../../../src/kinds/image-build/check.js';
import { budgetedPulls, dockerfileText, planBuild } from '../../../src/kinds/image-build/pull-budget.js';
import type { ImageBuildSpec } from '../../../src/kinds/image-build/types.js';
import type { Change } from '../../../src/plan/change.js';
import { PullBudgetBook } from '../../../src/registry/pull-budget.js';

const HOUR = 3600_000;
const NOW = Date.parse('2026-11-30T00:00:00Z');
const budget = (key: string, pulls: number): SourceBudget => ({
  key,
  budget: { pulls, perMs: 6 * HOUR, platformsPerIndex: 2 },
});
const HUB = budget('docker.io as robot', 10);
const QUAY = budget('quay.io anonymous', 4);

describe('ImageBuild under pull budgets', () => {
  it('prices only the hosts with a budget, by budget', () => {
    const bases = baseImages('FROM golang:1.22 AS b\nFROM quay.io/x/y\nFROM ghcr.io/a/b\n');
    const pulls = budgetedPulls(bases, 2, (host) =>
      host === 'docker.io' ? HUB : host === 'quay.io' ? QUAY : undefined,
    );
    assert.deepEqual(
      pulls.map((p) => [p.source.key, p.count]),
      [
        ['docker.io as robot', 4],
        ['quay.io anonymous', 4],
      ],
    );
  });

  it('reserves a build that fits every budget, and gives its pulls for the Job', () => {
    const book = new PullBudgetBook({}, () => NOW);
    const plan = planBuild(book, [
      { source: HUB, count: 4 },
      { source: QUAY, count: 4 },
    ]);
    assert.deepEqual(plan.basePulls, [
      { budget: 'docker.io as robot', count: 4 },
      { budget: 'quay.io anonymous', count: 4 },
    ]);
    assert.equal(plan.budgetDeferred, undefined);
    assert.deepEqual(
      plan.budget.map((b) => [b.registry, b.remaining, b.deferred]),
      [
        ['docker.io as robot', 6, 0],
        ['quay.io anonymous', 0, 0],
      ],
    );
  });

  it('defers a build one budget cannot cover, until it can, reserving nothing', () => {
    const book = new PullBudgetBook({}, () => NOW);
    book.declare(QUAY.key, QUAY.budget);
    book.charge(QUAY.key, 2); // frees at NOW + 6h
    const plan = planBuild(book, [
      { source: HUB, count: 4 },
      { source: QUAY, count: 4 },
    ]);
    assert.equal(plan.basePulls, undefined);
    assert.equal(plan.budgetDeferred, 1);
    assert.equal(plan.nextAt?.toISOString(), new Date(NOW + 6 * HOUR).toISOString());
    assert.equal(book.remaining(HUB.key, HUB.budget), 10, 'nothing reserved on the budget that had room');
    const never = planBuild(new PullBudgetBook({}, () => NOW), [{ source: QUAY, count: 6 }]);
    assert.deepEqual([never.budgetDeferred, never.nextAt], [1, undefined], 'more than the whole budget');
  });

  it('reads the Dockerfile inline or from the context folder', () => {
    const files = new Map([['build/app/Containerfile', Buffer.from('FROM alpine\n')]]);
    const spec = { image: 'x/y', context: { path: 'build/app/' }, dockerfile: 'Containerfile' };
    assert.equal(dockerfileText(spec as ImageBuildSpec, files), 'FROM alpine\n');
    assert.equal(dockerfileText({ image: 'x/y', inline: 'FROM a' } as ImageBuildSpec, undefined), 'FROM a');
    assert.equal(dockerfileText({ ...spec, dockerfile: 'Dockerfile' } as ImageBuildSpec, files), undefined);
  });

  it('has the engine charge a created build Job its base pulls', () => {
    const job: KubeObject = {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'app-build-1', annotations: runPullsAnnotation([{ budget: HUB.key, count: 4 }]) },
    };
    const change = (action: string, result: string) =>
      ({ action, object: job, outcome: { result } }) as unknown as Change;
    assert.deepEqual([...pullsOfCreatedJobs([change('create', 'applied')])], [[HUB.key, 4]]);
    assert.deepEqual([...pullsOfCreatedJobs([change('update', 'applied')])], [], 'only when created');
    assert.deepEqual([...pullsOfCreatedJobs([change('create', 'failed')])], [], 'nor when refused');
  });
});

describe('ImageBuild check of a budget', () => {
  it('refuses a window under a second, at its field', () => {
    const spec = {
      image: 'registry.example/team/app',
      inline: 'FROM alpine',
      registries: [{ host: 'docker.io', budget: { pulls: 10, per: '10ms' } }],
    } as ImageBuildSpec;
    assert.deepEqual(
      checkImageBuild(spec).map((p) => p.field),
      ['/spec/registries/0/budget/per'],
    );
  });
});
