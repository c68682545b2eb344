import { mapBounded } from '../core/concurrency.js';
import type { KubeObject } from '../core/kube-object.js';
import { KubeApiError } from '../kube/errors.js';
import type { KubeApi } from '../kube/types.js';
import { byTier } from '../plan/order.js';
import type { Plan, PlanStep } from '../plan/plan.js';
import { applyRetryBudgetMs, DEFAULT_RETRY, RetryBudget, type RetryOptions, withRetries } from './retry.js';

export interface StepResult {
  step: PlanStep;
  ok: boolean;
  /** The object as the server stored it after apply. */
  applied?: KubeObject;
  message?: string;
}

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
 * Carries out a plan: server-side apply tier by tier (config before workloads before Jobs), deletes in
 * reverse order, bounded parallelism within a tier, retries with backoff. A failing object does not stop
 * the others; its error is in its result.
 *
 * Bounded in time: all retries of one plan share a backoff budget (`retry.budget`, else
 * APPLY_RETRY_BUDGET_SECONDS, default 30 s), and once the signal aborts (sync deadline, shutdown) the steps
 * not started fail with "not attempted" and the reason, so that the sync ends and its status says why.
 */
export async function executePlan(
  kube: KubeApi,
  plan: Plan,
  options: ExecuteOptions = {},
): Promise<StepResult[]> {
  const concurrency = options.concurrency ?? 8;
  const base = options.retry ?? DEFAULT_RETRY;
  const retry: RetryOptions = {
    ...base,
    budget: base.budget ?? new RetryBudget(applyRetryBudgetMs(process.env)),
  };
  const results: StepResult[] = [];
  const writes = plan.steps.filter((s) => s.action === 'create' || s.action === 'update');
  const deletes = plan.steps.filter((s) => s.action === 'delete');

  for (const tier of byTier(writes, (s) => s.object.kind)) {
    results.push(
      ...(await mapBounded(tier, concurrency, async (step) => {
        try {
          const applied = await withRetries(() => applyOrReplace(kube, step.object), retry);
          options.onApplied?.(applied);
          return { step, ok: true, applied };
        } catch (error) {
          return { step, ok: false, message: describe(error) };
        }
      })),
    );
  }
  for (const tier of byTier(deletes, (s) => s.object.kind, true)) {
    results.push(
      ...(await mapBounded(tier, concurrency, async (step) => {
        const { metadata } = step.object;
        try {
          await withRetries(
            () =>
              kube.delete(step.object, metadata.namespace, metadata.name, {
                propagationPolicy: 'Background',
              }),
            retry,
          );
          return { step, ok: true };
        } catch (error) {
          return { step, ok: false, message: describe(error) };
        }
      })),
    );
  }
  for (const step of plan.steps) {
    if (step.action === 'unchanged' || step.action === 'kept') results.push({ step, ok: true });
  }
  return results;
}

/** A Job's pod template is immutable: when it changed under the same name, replace the Job. */
async function applyOrReplace(kube: KubeApi, object: KubeObject): Promise<KubeObject> {
  try {
    return await kube.apply(object);
  } catch (error) {
    if (!isImmutableJobChange(error, object)) throw error;
    const { namespace, name } = object.metadata;
    await kube.delete(object, namespace, name, { propagationPolicy: 'Background' });
    for (let i = 0; i < 50 && (await kube.get(object, namespace, name)); i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return kube.apply(object);
  }
}

function describe(error: unknown): string {
  if (error instanceof KubeApiError) return `${error.status} ${error.reason}: ${error.message}`;
  return error instanceof Error ? error.message : String(error);
}
