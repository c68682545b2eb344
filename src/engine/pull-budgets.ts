/**
 * The reconciler's pull budgets (registry/pull-budget.ts) around one sync: the ledger read from the stored
 * state, handed to every manifest's observe step, charged for the copy Jobs this sync created (their
 * annotation names the budget and the pulls of each copy), and stored again. A dry run (`diff`) charges
 * nothing and stores nothing.
 */
import type { KubeObject } from '../core/kube-object.js';
import { copiesOf } from '../jobs/copy-jobs.js';
import { readRunPulls } from '../jobs/cron-runs.js';
import type { Change } from '../plan/change.js';
import { PullBudgetBook, type PullLedger, readLedger } from '../registry/pull-budget.js';

/**
 * One time for the whole sync (`now`, its render step's start): what a manifest reserves and what its Jobs
 * are charged then fall in one second, so the time a deferred copy is said to fit stays what the next sync
 * says.
 */
export function openPullBudgets(stored: unknown, now: number = Date.now()): PullBudgetBook {
  return new PullBudgetBook(readLedger(stored), () => now);
}

/** The pulls each created copy or build Job will make, by budget. */
export function pullsOfCreatedJobs(changes: readonly Change[]): Map<string, number> {
  const pulls = new Map<string, number>();
  for (const change of changes) {
    if (change.action !== 'create' && change.action !== 'replace') continue;
    if (change.outcome?.result !== 'applied' || change.foreign || change.object.kind !== 'Job') continue;
    // A build Job's base pulls (ImageBuild): charged like a copy's.
    for (const run of readRunPulls(change.object.metadata.annotations))
      pulls.set(run.budget, (pulls.get(run.budget) ?? 0) + run.count);
    for (const copy of copiesOf(change.object as KubeObject) ?? []) {
      const count = copy.pulls?.count;
      if (typeof copy.pulls?.budget !== 'string' || typeof count !== 'number' || !(count > 0)) continue;
      pulls.set(copy.pulls.budget, (pulls.get(copy.pulls.budget) ?? 0) + count);
    }
  }
  return pulls;
}

/** Charges the book for the copy Jobs this sync created, and gives the ledger to store (absent when empty). */
export function chargeCreatedJobs(book: PullBudgetBook, changes: readonly Change[]): PullLedger | undefined {
  for (const [budget, count] of pullsOfCreatedJobs(changes)) book.charge(budget, count);
  const ledger = book.ledger();
  return Object.keys(ledger).length > 0 ? ledger : undefined;
}
