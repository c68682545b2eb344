/**
 * ImageBackup under the pull budgets of its sources (jobs/copy-budget.ts): each source registry's budget for
 * the credential used, and the pending copies planned within them, in the order observed.
 */
import {
  type BudgetReport,
  budgetAnswers,
  budgetCopies,
  copyPulls,
  declaredBudget,
  type SourceBudget,
} from '../../jobs/copy-budget.js';
import type { PendingCopy } from '../../jobs/copy-jobs.js';
import type { RegistryAccess, RegistryClient, RegistryClientOptions } from '../../registry/client.js';
import type { CopyPair } from '../../registry/copy-pair.js';
import { normaliseRegistryHost } from '../../registry/references.js';
import type { ObserveContext } from '../types.js';
import type { ImageBackupSpec } from './types.js';

/** The budgets of the source registries, by normalised host (none without a book or a declared budget). */
export function sourceBudgets(
  pairs: readonly CopyPair[],
  spec: ImageBackupSpec,
  context: ObserveContext,
  namespace: string,
  access: ReadonlyMap<string, RegistryAccess>,
): Map<string, SourceBudget> {
  const budgets = new Map<string, SourceBudget>();
  if (!context.pullBudgets) return budgets;
  for (const host of new Set(pairs.map((p) => normaliseRegistryHost(p.source.registry)))) {
    const budget = declaredBudget(
      host,
      spec,
      context.settings,
      namespace,
      access.get(host)?.credential?.username,
    );
    if (budget) budgets.set(host, budget);
  }
  return budgets;
}

/** The client option feeding the budgeted sources' answers to the book. */
export function budgetClientOptions(
  context: ObserveContext,
  budgets: ReadonlyMap<string, SourceBudget>,
): Pick<RegistryClientOptions, 'onAnswer'> {
  return context.pullBudgets && budgets.size > 0
    ? { onAnswer: budgetAnswers(context.pullBudgets, budgets) }
    : {};
}

/** The copies that fit their sources' budgets this sync (priced), and what the status says of each budget. */
export function budgetBackupCopies(
  context: ObserveContext,
  client: RegistryClient,
  budgets: ReadonlyMap<string, SourceBudget>,
  sourceOf: (sourceRef: string) => string,
  pending: readonly PendingCopy[],
): { pending: PendingCopy[]; budget?: BudgetReport[]; budgetDeferred?: number } {
  if (!context.pullBudgets || budgets.size === 0) return { pending: [...pending] };
  const planned = budgetCopies({
    pending,
    live: context.live,
    settings: context.settings,
    book: context.pullBudgets,
    budgetOf: (copy) => budgets.get(normaliseRegistryHost(sourceOf(copy.sourceRef))),
    // Backups copy every platform (--all).
    pullsOf: (copy, b) =>
      copyPulls(client.mediaTypeOf(copy.digest), { platformsPerIndex: b.platformsPerIndex }),
  });
  return {
    pending: planned.pending,
    ...(planned.budgets.length ? { budget: planned.budgets } : {}),
    ...(planned.deferred ? { budgetDeferred: planned.deferred } : {}),
  };
}
