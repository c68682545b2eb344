/**
 * The runs of a CronJob under pull budgets. Kubernetes creates a CronJob's Jobs, so the reconciler never sees
 * them being created: each run is charged when a sync first sees it, at the time it ran (so it frees up `per`
 * after the run, not after the sync). What one run pulls rides on the Job template
 * (`image-gitops.io/run-pulls`, copied by the CronJob controller onto each Job), and the last run charged is
 * remembered by the kind (stored with the status), so that a run is charged once across syncs and restarts.
 * Runs are found three ways, since the CronJob keeps one finished Job of each outcome: its Jobs (by
 * ownerReference), its `status.lastScheduleTime`, and, for a frequency (`everyMs`), every schedule between the
 * last run charged and that time (a run the controller skipped is charged too: never under-counted). Pure.
 */

import type { KubeObject } from '../core/kube-object.js';
import { DOMAIN } from '../core/labels.js';

/** On a CronJob's job template (so on each of its Jobs): `[{budget, count}]`, the pulls of one run. */
export const RUN_PULLS_ANNOTATION = `${DOMAIN}/run-pulls`;
/** Set by the CronJob controller (Kubernetes 1.28+) on each Job: the schedule time it runs for. */
export const SCHEDULED_AT_ANNOTATION = 'batch.kubernetes.io/cronjob-scheduled-timestamp';

export interface RunPulls {
  budget: string;
  count: number;
}

/** What a kind remembers: which CronJob (its uid) and the time of its last run charged (ISO). */
export interface CronRunMark {
  uid: string;
  last: string;
}

/** One run to charge: when it ran (epoch ms) and what it pulls. */
export interface CronRun {
  at: number;
  pulls: RunPulls[];
}

/** At most this many runs filled in between two syncs from the schedule (a long outage at `1m`). */
export const MAX_INTERPOLATED_RUNS = 10_000;

export function runPullsAnnotation(pulls: readonly RunPulls[]): Record<string, string> {
  return pulls.length > 0 ? { [RUN_PULLS_ANNOTATION]: JSON.stringify(pulls) } : {};
}

/** The pulls an annotation map says; [] when absent or malformed. */
export function readRunPulls(annotations: Record<string, string> | undefined): RunPulls[] {
  const text = annotations?.[RUN_PULLS_ANNOTATION];
  if (!text) return [];
  try {
    const parsed = JSON.parse(text) as unknown;
    if (!Array.isArray(parsed)) return [];
    return parsed.filter(
      (p): p is RunPulls =>
        !!p &&
        typeof p.budget === 'string' &&
        typeof p.count === 'number' &&
        Number.isInteger(p.count) &&
        p.count > 0,
    );
  } catch {
    return [];
  }
}

/** The stored mark when well formed. */
export function readCronRunMark(stored: unknown): CronRunMark | undefined {
  const mark = stored as Partial<CronRunMark> | undefined;
  if (!mark || typeof mark.uid !== 'string' || typeof mark.last !== 'string') return undefined;
  return Number.isNaN(Date.parse(mark.last)) ? undefined : { uid: mark.uid, last: mark.last };
}

const templateAnnotations = (cron: KubeObject) =>
  (cron.spec as { jobTemplate?: { metadata?: { annotations?: Record<string, string> } } } | undefined)
    ?.jobTemplate?.metadata?.annotations;

const ownedBy = (job: KubeObject, uid: string) =>
  (job.metadata.ownerReferences ?? []).some(
    (ref) =>
      (ref as { uid?: string; kind?: string }).uid === uid && (ref as { kind?: string }).kind === 'CronJob',
  );

/** The time a Job of a CronJob runs for: the controller's annotation, else its creation. */
function scheduledAt(job: KubeObject): number | undefined {
  const text = job.metadata.annotations?.[SCHEDULED_AT_ANNOTATION] ?? job.metadata.creationTimestamp;
  const at = text ? Date.parse(text) : Number.NaN;
  return Number.isNaN(at) ? undefined : at;
}

/**
 * The runs of `cron` not charged yet (after `mark`, when it is this CronJob's), oldest first, and the mark
 * to remember. A run whose Job is gone is charged what the template says now.
 */
export function unchargedRuns(
  cron: KubeObject,
  jobs: readonly KubeObject[],
  mark: CronRunMark | undefined,
  everyMs?: number,
): { runs: CronRun[]; mark?: CronRunMark } {
  const uid = cron.metadata.uid;
  if (!uid) return { runs: [] };
  const since = mark?.uid === uid ? Date.parse(mark.last) : undefined;
  const template = readRunPulls(templateAnnotations(cron));
  const byTime = new Map<number, RunPulls[]>();
  for (const job of jobs) {
    if (job.kind !== 'Job' || !ownedBy(job, uid)) continue;
    const at = scheduledAt(job);
    if (at === undefined) continue;
    const own = readRunPulls(job.metadata.annotations);
    byTime.set(at, own.length > 0 ? own : template);
  }
  const lastText = (cron.status as { lastScheduleTime?: string } | undefined)?.lastScheduleTime;
  const last = lastText ? Date.parse(lastText) : Number.NaN;
  // A Job is created at or after the time it runs for: none that late means its Job is gone.
  if (!Number.isNaN(last) && ![...byTime.keys()].some((at) => at >= last)) byTime.set(last, template);
  if (!Number.isNaN(last) && everyMs && since !== undefined)
    for (let at = last - everyMs, n = 0; at > since && n < MAX_INTERPOLATED_RUNS; at -= everyMs, n++)
      if (!byTime.has(at)) byTime.set(at, template);
  const runs = [...byTime]
    .filter(([at]) => since === undefined || at > since)
    .sort((a, b) => a[0] - b[0])
    .map(([at, pulls]) => ({ at, pulls }));
  const newest = Math.max(since ?? Number.NEGATIVE_INFINITY, ...runs.map((r) => r.at));
  return {
    runs,
    ...(Number.isFinite(newest) ? { mark: { uid, last: new Date(newest).toISOString() } } : {}),
  };
}

/**
 * How many of the next runs in one window the pulls left cover: `runsPerWindow` runs of `perRun` pulls each
 * (undefined when the schedule has no even frequency).
 */
export function runsCovered(
  remaining: number,
  perRun: number,
  runsPerWindow: number | undefined,
): { covered: number; wanted?: number } {
  const covered = perRun > 0 ? Math.floor(remaining / perRun) : Number.POSITIVE_INFINITY;
  if (runsPerWindow === undefined) return { covered };
  return { covered: Math.min(covered, runsPerWindow), wanted: runsPerWindow };
}

/** Runs of a frequency `everyMs` in any window of `perMs` (at least). */
export function runsPerWindow(everyMs: number | undefined, perMs: number): number | undefined {
  return everyMs && everyMs > 0 ? Math.floor(perMs / everyMs) : undefined;
}
