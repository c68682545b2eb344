import { mapBounded } from '../core/concurrency.js';
import { type ProblemClass, problemClass, problemFromError } from '../core/errors.js';
import type { KubeObject } from '../core/kube-object.js';
import { maskSecretValuesIn } from '../core/secret-mask.js';
import { KubeApiError } from '../kube/errors.js';
import { type Change, type ObjectOutcome, writes } from '../plan/change.js';
import { byTier } from '../plan/order.js';
import type { Plan } from '../plan/plan.js';
import { applyRetryBudgetMs, DEFAULT_RETRY, RetryBudget, type RetryOptions, withRetries } from './retry.js';
import type { Writer } from './writer.js';

export interface ExecuteOptions {
  concurrency?: number;
  retry?: RetryOptions;
  /** Called after each successful write, so the caller can remember what it applied. */
  onApplied?: (object: KubeObject) => void;
}

function isImmutableJobChange(error: unknown, object: KubeObject): boolean {
  return (
    object.kind === 'Job' &&
    error instanceof KubeApiError &&
    error.status === 422 &&
    /immutable/i.test(error.message)
  );
}

/**
 * Carries out a plan's changes through a writer (the cluster's, or a server-side dry-run's: the same steps
 * either way): server-side apply tier by tier (config before workloads before Jobs), deletes in reverse
 * order, bounded parallelism within a tier, retries with backoff. Each change comes back with its outcome
 * (a Job whose immutable template changed comes back as a `replace`); a failing object does not stop the
 * others, its error is in its outcome.
 *
 * Bounded in time: all retries of one plan share a backoff budget (`retry.budget`, else
 * APPLY_RETRY_BUDGET_SECONDS, default 30 s), and once the signal aborts (sync deadline, shutdown) the steps
 * not started fail with "not attempted" and the reason, so that the sync ends and its status says why.
 */
export async function executePlan(
  writer: Writer,
  plan: Plan,
  options: ExecuteOptions = {},
): Promise<Change[]> {
  const concurrency = options.concurrency ?? 8;
  const base = options.retry ?? DEFAULT_RETRY;
  const retry: RetryOptions = {
    ...base,
    budget: base.budget ?? new RetryBudget(applyRetryBudgetMs(process.env)),
  };
  const done = (result: ObjectOutcome): ObjectOutcome => (writer.dryRun ? 'planned' : result);
  const results: Change[] = [];
  const owned = plan.changes.filter((s) => !s.foreign);
  const applies = owned.filter((s) => s.action === 'create' || s.action === 'update');
  const deletes = owned.filter((s) => s.action === 'delete');

  for (const tier of byTier(applies, (s) => s.object.kind)) {
    results.push(
      ...(await mapBounded(tier, concurrency, async (change): Promise<Change> => {
        try {
          const { applied, replaced } = await withRetries(() => applyOrReplace(writer, change.object), retry);
          options.onApplied?.(applied);
          return {
            ...change,
            ...(replaced
              ? {
                  action: 'replace' as const,
                  reason: {
                    code: 'ImmutableJobTemplate' as const,
                    message: `${change.reason.message}; the Job's pod template is immutable: deleted and created again`,
                  },
                }
              : {}),
            outcome: { result: done('applied'), applied },
          };
        } catch (error) {
          return refused(change, error);
        }
      })),
    );
  }
  for (const tier of byTier(deletes, (s) => s.object.kind, true)) {
    results.push(
      ...(await mapBounded(tier, concurrency, async (change): Promise<Change> => {
        try {
          const deleted = await withRetries(() => writer.delete(change.object), retry);
          return {
            ...change,
            outcome: { result: done('pruned'), ...(deleted && !writer.dryRun ? { deleted } : {}) },
          };
        } catch (error) {
          return refused(change, error);
        }
      })),
    );
  }
  // Last, the changes to objects we do not own: a rewritten workload may need what was just applied (its pull
  // Secret). Each is read first, so that the change (and `diff`) shows the object before and after.
  const foreign = plan.changes.filter((s) => s.foreign && writes(s));
  results.push(
    ...(await mapBounded(foreign, concurrency, async (change): Promise<Change> => {
      const { namespace, name } = change.object.metadata;
      try {
        const live = await writer.kube.get(change.object, namespace, name);
        const applied = await withRetries(
          () => writer.apply(change.object, { fieldManager: change.foreign!.fieldManager }),
          retry,
        );
        return { ...change, ...(live ? { live } : {}), outcome: { result: done('applied'), applied } };
      } catch (error) {
        return refused(change, error);
      }
    })),
  );
  for (const change of plan.changes) {
    if (change.action === 'unchanged') results.push({ ...change, outcome: { result: 'unchanged' } });
    if (change.action === 'keep') results.push({ ...change, outcome: { result: 'kept' } });
  }
  return results;
}

/**
 * A Job's pod template is immutable: when it changed under the same name, replace the Job. A dry-run writer
 * asks the server whether the delete would be allowed; the create that follows cannot be dry-run while the
 * old Job exists, so the desired object stands for the server's answer.
 */
async function applyOrReplace(
  writer: Writer,
  object: KubeObject,
): Promise<{ applied: KubeObject; replaced: boolean }> {
  try {
    return { applied: await writer.apply(object), replaced: false };
  } catch (error) {
    if (!isImmutableJobChange(error, object)) throw error;
    await writer.delete(object);
    if (writer.dryRun) return { applied: object, replaced: true };
    const { namespace, name } = object.metadata;
    for (let i = 0; i < 50 && (await writer.kube.get(object, namespace, name)); i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return { applied: await writer.apply(object), replaced: true };
  }
}

/** A change the server refused: why (any Secret value masked) and whether a retry can help. */
function refused(change: Change, error: unknown): Change {
  const message = maskSecretValuesIn(describe(error), change.object);
  return { ...change, outcome: { result: 'failed', message, failure: failureOf(error) } };
}

/** Whether a retry can help, as the error was classified where it arose (the API server's status). */
function failureOf(error: unknown): ProblemClass {
  return problemClass(problemFromError(error, 'KUBE_API'));
}

function describe(error: unknown): string {
  if (error instanceof KubeApiError) return `${error.status} ${error.reason}: ${error.message}`;
  return error instanceof Error ? error.message : String(error);
}
