/**
 * ImageSync under a pull budget of its source (jobs/copy-budget.ts): the budget its source's entry declares
 * for the credential used, and the pending copies planned within it, newest first.
 */
import {
  type BudgetReport,
  budgetCopies,
  copyPulls,
  declaredBudget,
  type SourceBudget,
} from '../../jobs/copy-budget.js';
import type { PendingCopy } from '../../jobs/copy-jobs.js';
import type { RegistryAccess, RegistryClient } from '../../registry/client.js';
import type { LastSeen } from '../../registry/compare-copies.js';
import { normaliseRegistryHost } from '../../registry/references.js';
import type { ObserveContext } from '../types.js';
import { sourceRepository } from './naming.js';
import type { ImageSyncSpec } from './spec.js';

/** The source's budget, keyed by its host and the user name of the credential read for it (never the secret). */
export function sourceBudget(
  spec: ImageSyncSpec,
  context: ObserveContext,
  namespace: string,
  access: ReadonlyMap<string, RegistryAccess>,
): SourceBudget | undefined {
  if (!context.pullBudgets) return undefined;
  const host = normaliseRegistryHost(sourceRepository(spec).registry);
  const username = access.get(host)?.credential?.username;
  return declaredBudget(host, spec, context.settings, namespace, username);
}

/**
 * Under a budget, a tag last seen pending is asked without `If-None-Match`: a 304 says no media type, and the
 * price of its copy depends on it (one image or an index). A HEAD is not a pull: it costs the budget nothing.
 */
export function askedForPrice<T extends LastSeen>(seen: T, budget: SourceBudget | undefined): T {
  if (!budget || seen.source === undefined || seen.source === seen.destination) return seen;
  const { source: _unasked, ...rest } = seen;
  return rest as T;
}

/** The copies that fit the budget this sync (with their price), and what the status says of the budget. */
export function budgetSyncCopies(
  spec: ImageSyncSpec,
  context: ObserveContext,
  client: RegistryClient,
  budget: SourceBudget | undefined,
  pending: readonly PendingCopy[],
): { pending: PendingCopy[]; budgets?: BudgetReport[]; deferred?: number } {
  if (!budget || !context.pullBudgets) return { pending: [...pending] };
  const platform = spec.platforms?.[0];
  const planned = budgetCopies({
    pending,
    live: context.live,
    settings: context.settings,
    book: context.pullBudgets,
    budgetOf: () => budget,
    pullsOf: (copy, b) =>
      copyPulls(client.mediaTypeOf(copy.digest), {
        ...(platform ? { platform } : {}),
        platformsPerIndex: b.platformsPerIndex,
        artifactTags: copy.artifactTags?.length ?? 0,
        referrers: copy.referrers?.length ?? 0,
      }),
  });
  return {
    pending: planned.pending,
    ...(planned.budgets.length ? { budgets: planned.budgets } : {}),
    ...(planned.deferred ? { deferred: planned.deferred } : {}),
  };
}
