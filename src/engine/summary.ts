import type { Problem } from '../core/errors.js';
import { type Change, failed } from '../plan/change.js';
import type { Plan } from '../plan/plan.js';
import { withConditions } from '../status/conditions.js';
import type { ManifestStatus, SyncReport, SyncResult } from '../status/types.js';

/**
 * Status as stored: what a manifest is, not what the last pass did, so that a sync after an apply with
 * nothing new stores the same state and writes nothing. Its conditions are those of that state (the store
 * leaves them out and derives them again on load).
 */
export function steadyStatus(status: ManifestStatus): ManifestStatus {
  const settled = status.result === 'Applied' || status.result === 'Unchanged';
  const { conditions: _derived, ...rest } = status;
  return withConditions({
    ...rest,
    result: settled ? 'Unchanged' : status.result,
    message: settled ? '' : status.message,
    objects: status.objects
      .filter((o) => o.outcome !== 'pruned')
      .map((o) => ({
        apiVersion: o.apiVersion,
        kind: o.kind,
        ...(o.namespace ? { namespace: o.namespace } : {}),
        name: o.name,
        action: o.action === 'keep' ? 'keep' : 'unchanged',
        outcome: o.outcome === 'failed' || o.outcome === 'kept' ? o.outcome : 'unchanged',
        ...(o.health ? { health: o.health } : {}),
        ...(o.failure ? { failure: o.failure } : {}),
      })),
  });
}

export function countResults(
  results: Change[],
): Pick<SyncReport, 'counts' | 'appliedByKind' | 'prunedByKind'> {
  const counts = { applied: 0, unchanged: 0, pruned: 0, failed: 0, kept: 0 };
  const appliedByKind: Record<string, number> = {};
  const prunedByKind: Record<string, number> = {};
  for (const r of results) {
    const kind = r.object.kind;
    if (failed(r)) counts.failed++;
    else if (r.action === 'create' || r.action === 'update' || r.action === 'replace') {
      counts.applied++;
      appliedByKind[kind] = (appliedByKind[kind] ?? 0) + 1;
    } else if (r.action === 'delete') {
      counts.pruned++;
      prunedByKind[kind] = (prunedByKind[kind] ?? 0) + 1;
    } else if (r.action === 'keep') counts.kept++;
    else counts.unchanged++;
  }
  return { counts, appliedByKind, prunedByKind };
}

export function overallResult(
  statuses: ManifestStatus[],
  results: Change[],
  fileProblems: Problem[],
  plan: Plan,
): SyncResult {
  const failing =
    statuses.some((s) => s.result === 'Failed' || s.result === 'Invalid') || fileProblems.length > 0;
  if (plan.pruneRefused) return 'PartiallyFailed';
  if (failing || results.some(failed)) return 'PartiallyFailed';
  if (results.every((r) => r.action === 'unchanged' || r.action === 'keep')) return 'NoChange';
  return 'Succeeded';
}

export function pruneRefusedProblem(refused: NonNullable<Plan['pruneRefused']>): Problem {
  return {
    code: 'PRUNE_REFUSED',
    message: `prune refused: it would delete ${refused.wouldDelete} of ${refused.owned} owned objects (over the ${Math.round(refused.maxShare * 100)}% bound). If the removal is intended, sync with --allow-mass-prune or set ALLOW_MASS_PRUNE=true`,
  };
}

/** A report with the sync's timing filled in; each exit of the pipeline adds what it knows. */
export function reportBuilder(trigger: SyncReport['trigger']) {
  const started = new Date();
  return (partial: Partial<SyncReport> & Pick<SyncReport, 'result'>): SyncReport => {
    const finished = new Date();
    return {
      startedAt: started.toISOString(),
      finishedAt: finished.toISOString(),
      durationSeconds: (finished.getTime() - started.getTime()) / 1000,
      trigger,
      fetchSkipped: false,
      manifests: [],
      fileProblems: [],
      counts: { applied: 0, unchanged: 0, pruned: 0, failed: 0, kept: 0 },
      appliedByKind: {},
      prunedByKind: {},
      ...partial,
    };
  };
}
