/**
 * A Recurrent ImageSync run by its CronJob under a pull budget of its source (jobs/cron-runs.ts): what one run
 * pulls (its one source reference, priced as an index unless a platform is chosen: the CronJob's template
 * must not change with what a HEAD says), each run charged once when a sync first sees it, and whether what
 * is left covers the runs due in one window. A CronJob cannot be deferred (Kubernetes runs it anyway), so a
 * schedule that alone pulls more than its own entry's budget is refused (`cronBudgetProblems`).
 */
import { formatDuration, parseDuration } from '../../core/duration.js';
import type { KubeObject } from '../../core/kube-object.js';
import { type BudgetReport, copyPulls, type SourceBudget } from '../../jobs/copy-budget.js';
import {
  type CronRunMark,
  type RunPulls,
  readCronRunMark,
  runsCovered,
  runsPerWindow,
  unchargedRuns,
} from '../../jobs/cron-runs.js';
import type { PullBudgetBook } from '../../registry/pull-budget.js';
import { normaliseRegistryHost } from '../../registry/references.js';
import type { ObserveContext } from '../types.js';
import { effectiveMode, sourceRepository } from './naming.js';
import { recurrenceOfSpec, timedFrequency } from './recurrence.js';
import type { ImageSyncSpec } from './spec.js';

const JOB = { apiVersion: 'batch/v1', kind: 'Job' } as const;

/** Manifest GETs of one CronJob run: never less than what skopeo may make. */
export function runPrice(spec: ImageSyncSpec, platformsPerIndex: number): number {
  const platform = spec.platforms?.[0];
  return copyPulls(undefined, { ...(platform ? { platform } : {}), platformsPerIndex });
}

/** The frequency of a CronJob-run sync, when its schedule has one (`1h`, not `0 9 * * 1-5`). */
function cronEvery(spec: ImageSyncSpec): number | undefined {
  const recurrence = recurrenceOfSpec(spec);
  return recurrence?.kind === 'cron' ? recurrence.everyMs : undefined;
}

/**
 * A CronJob-run sync whose schedule alone pulls more in a window than the budget its own `registries` entry
 * for the source declares, at the cheapest a run can be (one GET): refused, since no run can be deferred.
 */
export function cronBudgetProblems(spec: ImageSyncSpec): Array<{ field: string; message: string }> {
  if (effectiveMode(spec) !== 'Recurrent' || timedFrequency(spec) !== undefined) return [];
  const everyMs = cronEvery(spec);
  const host = normaliseRegistryHost(sourceRepository(spec).registry);
  const entry = (spec.registries ?? []).find((r) => normaliseRegistryHost(r.host) === host);
  const perMs = entry?.budget ? parseDuration(entry.budget.per) : undefined;
  const runs = perMs !== undefined ? runsPerWindow(everyMs, perMs) : undefined;
  if (!entry?.budget || runs === undefined || runs <= entry.budget.pulls) return [];
  return [
    {
      field: '/spec/schedule',
      message: `a CronJob runs every ${formatDuration(everyMs ?? 0)}: ${runs} runs in ${entry.budget.per} pull at least ${runs} times, more than the pull budget of ${host} (${entry.budget.pulls} per ${entry.budget.per}), and its runs cannot be deferred: take a longer frequency, or one the reconciler times (e.g. 5h)`,
    },
  ];
}

export interface CronRunsObserved {
  /** What one run pulls, for the CronJob's template. */
  runPulls: RunPulls[];
  budget: BudgetReport[];
  /** The mark to remember when it moved. */
  mark?: CronRunMark;
  /** `; each run pulls …` for the status. */
  message: string;
}

/** The mark this manifest remembered. */
export function rememberedMark(previous: unknown): CronRunMark | undefined {
  return readCronRunMark((previous as { cronRuns?: unknown } | undefined)?.cronRuns);
}

/** Charges the runs not charged yet, and says what the budget covers of the next ones. Pure but the book. */
export function chargeCronRuns(input: {
  spec: ImageSyncSpec;
  source: SourceBudget;
  book: PullBudgetBook;
  cron: KubeObject | undefined;
  jobs: readonly KubeObject[];
  mark: CronRunMark | undefined;
}): CronRunsObserved {
  const { spec, source, book } = input;
  const { key, budget } = source;
  const perRun = runPrice(spec, budget.platformsPerIndex);
  book.declare(key, budget);
  const found = input.cron
    ? unchargedRuns(input.cron, input.jobs, input.mark, cronEvery(spec))
    : { runs: [] };
  for (const run of found.runs) for (const p of run.pulls) book.chargeAt(p.budget, p.count, run.at);
  const remaining = book.remaining(key, budget);
  const per = formatDuration(budget.perMs);
  const { covered, wanted } = runsCovered(remaining, perRun, runsPerWindow(cronEvery(spec), budget.perMs));
  const next = remaining < perRun ? book.nextAt(key, budget, perRun) : undefined;
  const charged = found.runs.length > 0 ? `, ${found.runs.length} run(s) charged this sync` : '';
  const short =
    wanted !== undefined && covered < wanted
      ? `: that covers ${covered} of the ${wanted} runs due in ${per}, and the CronJob runs them anyway, over the budget`
      : remaining < perRun
        ? ': the next run overspends it (the CronJob runs anyway)'
        : '';
  const fits = next ? `; a run fits again at ${next.toISOString()}` : '';
  const moved = found.mark && found.mark.last !== input.mark?.last ? found.mark : undefined;
  return {
    runPulls: [{ budget: key, count: perRun }],
    budget: [
      {
        registry: key,
        pulls: budget.pulls,
        per,
        remaining,
        deferred: 0,
        ...(next ? { nextAt: next.toISOString() } : {}),
      },
    ],
    ...(moved ? { mark: moved } : {}),
    message: `; each run pulls ${perRun} from the pull budget of ${key} (${remaining} of ${budget.pulls} pulls per ${per} left${charged})${short}${fits}`,
  };
}

/** The I/O around chargeCronRuns: the live CronJob, and its Jobs when it ran since the last run charged. */
export async function observeCronRuns(
  spec: ImageSyncSpec,
  context: ObserveContext,
  namespace: string,
  source: SourceBudget | undefined,
): Promise<CronRunsObserved | undefined> {
  if (!source || !context.pullBudgets) return undefined;
  const cron = context.live.find((o) => o.kind === 'CronJob');
  const mark = rememberedMark(context.previous);
  const lastText = (cron?.status as { lastScheduleTime?: string } | undefined)?.lastScheduleTime;
  const ranSince =
    !!cron &&
    !!lastText &&
    (mark?.uid !== cron.metadata.uid || Date.parse(lastText) > Date.parse(mark?.last ?? ''));
  // Jobs are listed only when the CronJob ran since: a steady state asks nothing.
  const jobs = ranSince ? await context.listObjects(JOB, namespace) : [];
  return chargeCronRuns({ spec, source, book: context.pullBudgets, cron, jobs, mark });
}
