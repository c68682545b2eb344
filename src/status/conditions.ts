import {
  type ErrorReason,
  formatProblem,
  type Problem,
  type ProblemClass,
  problemClass,
} from '../core/errors.js';
import { pendingCopyCount } from './details.js';
import type { Condition, ConditionReason, ConditionStatus, ManifestStatus, ObjectStatus } from './types.js';

/** What the conditions are read from: fields every status has, stored ones included. */
export type ConditionInput = Pick<ManifestStatus, 'result' | 'message' | 'problems' | 'objects' | 'health'> &
  Pick<Partial<ManifestStatus>, 'details'>;

/** What a person does when a retry cannot help, by the reason of the problem that stalls the manifest. */
const STALLED_ADVICE: Partial<Record<ErrorReason, string>> = {
  ValidationFailed: 'fix the manifest in Git and push',
  AuthenticationFailed: 'fix the credentials (the Secret they come from)',
  Forbidden: 'grant the access refused (registry permissions, or RBAC for the API server)',
  NotFound: 'fix the reference: it names something that does not exist',
  Invalid: 'the API server refuses the object: change the manifest',
  TlsUntrusted: 'give the CA that signed the server certificate, or set tlsVerify: false',
  BadResponse: 'the server does not answer as its protocol says: check the URL or the server',
  Refused: 'image-gitops refuses it by rule: see the problem',
  RenderFailed: 'fix the manifest in Git and push',
};

const condition = (
  type: Condition['type'],
  status: ConditionStatus,
  reason: ConditionReason,
  message: string,
): Condition => ({ type, status, reason, message });

/** The problem that decides: the first one a retry cannot fix, else the first. */
function decidingProblem(problems: Problem[]): Problem | undefined {
  return problems.find((p) => !problemClass(p).retryable) ?? problems[0];
}

/** A failed object's failure (an apply the API server refused): the first a retry cannot fix, else the first. */
function decidingFailure(objects: readonly ObjectStatus[]): ProblemClass | undefined {
  const failures = objects.flatMap((o) => (o.outcome === 'failed' && o.failure ? [o.failure] : []));
  return failures.find((f) => !f.retryable) ?? failures[0];
}

function describeObject(o: ObjectStatus): string {
  return `${o.kind} ${o.namespace ? `${o.namespace}/` : ''}${o.name} is ${o.health}${o.message ? `: ${o.message}` : ''}`;
}

function firstWithHealth(status: ConditionInput, states: string[]): string {
  const object = status.objects.find((o) => o.health && states.includes(o.health));
  return object ? describeObject(object) : `health ${status.health}`;
}

function readyCondition(status: ConditionInput): Condition {
  const problem = decidingProblem(status.problems);
  if (status.result === 'Invalid' || status.result === 'Failed') {
    if (problem) return condition('Ready', 'False', problemClass(problem).reason, formatProblem(problem));
    return condition(
      'Ready',
      'False',
      status.result === 'Invalid'
        ? 'ValidationFailed'
        : (decidingFailure(status.objects)?.reason ?? 'ApplyFailed'),
      status.message,
    );
  }
  if (status.result === 'Planned') return condition('Ready', 'Unknown', 'ChangesPending', status.message);
  if (status.health === 'Degraded' || status.health === 'Failed')
    return condition('Ready', 'False', 'HealthCheckFailed', firstWithHealth(status, ['Failed', 'Degraded']));
  if (status.health === 'Progressing')
    return condition('Ready', 'Unknown', 'Progressing', firstWithHealth(status, ['Progressing']));
  const pending = pendingCopyCount(status.details);
  const deferred = Number(status.details?.budgetDeferred ?? 0);
  const byBudget = deferred > 0 ? ` (${deferred} deferred by a pull budget)` : '';
  if (pending > 0)
    return condition('Ready', 'Unknown', 'CopiesPending', `${pending} image copies pending${byBudget}`);
  const current = status.objects.filter((o) => o.outcome !== 'pruned').length;
  return condition(
    'Ready',
    'True',
    'ReconciliationSucceeded',
    status.message || `${current} object(s) up to date`,
  );
}

/** Stalled: only a person can move it on (an invalid manifest, a refusal no retry changes). */
function stalledCondition(status: ConditionInput, ready: Condition): Condition {
  const problem = decidingProblem(status.problems);
  // Without a problem of the manifest, the objects the API server refused say it (a 422 is for good).
  const failure = problem ? problemClass(problem) : decidingFailure(status.objects);
  const blocking =
    status.result === 'Invalid' || (status.result === 'Failed' && failure && !failure.retryable);
  if (!blocking) return condition('Stalled', 'False', ready.reason, '');
  const reason = failure?.reason ?? 'ValidationFailed';
  const advice = STALLED_ADVICE[reason] ?? 'see the problem';
  return condition('Stalled', 'True', reason, `a retry cannot help: ${advice}`);
}

function reconcilingCondition(ready: Condition, stalled: Condition): Condition {
  if (ready.status === 'Unknown') return condition('Reconciling', 'True', ready.reason, ready.message);
  // A failure the next sync may get past (rate limits, a server down, a conflict), as Flux says it.
  if (ready.status === 'False' && stalled.status === 'False' && ready.reason !== 'HealthCheckFailed')
    return condition(
      'Reconciling',
      'True',
      'ProgressingWithRetry',
      `${ready.message}; retried at the next sync`,
    );
  return condition('Reconciling', 'False', ready.reason, '');
}

/**
 * Ready / Reconciling / Stalled of a manifest, in Flux's meaning, from its result, problems (their
 * retryability) and health. Pure. Ready is True when applied (or unchanged) and healthy; Unknown while
 * objects progress or work is pending; False on a failure, with the failure's reason. Reconciling is True
 * while Ready is Unknown or a failure will be retried; Stalled is True when a retry cannot help.
 */
export function manifestConditions(status: ConditionInput): Condition[] {
  const ready = readyCondition(status);
  const stalled = stalledCondition(status, ready);
  return [ready, reconcilingCondition(ready, stalled), stalled];
}

/** The status with its conditions, derived afresh from its fields. */
export function withConditions<T extends ConditionInput>(status: T): T & { conditions: Condition[] } {
  return { ...status, conditions: manifestConditions(status) };
}

/** A status's conditions: as it carries them, or derived (a status made before conditions existed). */
export function conditionsOf(status: ConditionInput & Pick<ManifestStatus, 'conditions'>): Condition[] {
  return status.conditions ?? manifestConditions(status);
}

export function conditionOf(
  status: ConditionInput & Pick<ManifestStatus, 'conditions'>,
  type: Condition['type'],
): Condition | undefined {
  return conditionsOf(status).find((c) => c.type === type);
}
