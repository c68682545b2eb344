/**
 * Recurrent syncs the reconciler times itself (a frequency no CronJob can say at even intervals, such as
 * `90m`, `45m`, `5h`, `36h`, `2w`, or a tag selector, which only the reconciler can list). Pure.
 *
 * The record of the last run is a ConfigMap the kind renders next to its Jobs (`<name>-sync-record`): when the
 * run started, the spec it ran for, whether every copy it found fitted in the Job bound, and when the next
 * run is due. It lives in the cluster, so a restarted reconciler reads it back with the other owned objects.
 * A run is due, as in image-operator's loop, when the last one started longer ago than the frequency; also at
 * once for a new or changed spec (image-operator copies again on a new generation), and at the next sync while
 * a run still has copies waiting for a free Job. A run compares source and destination digests and copies what
 * differs; a copy that fails is reported, and made again by the first run after its failed Job is gone (its
 * TTL, as for every copy Job). The interval is measured from the start of the last run, as image-operator
 * measures it from its last history entry.
 */
import { contentHash } from '../../core/hash.js';
import type { KubeObject } from '../../core/kube-object.js';
import { nameWithHash } from '../../core/labels.js';
import {
  DEFAULT_FREQUENCY,
  formatFrequency,
  type Recurrence,
  recurrenceOf,
  roundedUpNote,
} from '../../core/schedule.js';
import type { Manifest } from '../../manifests/types.js';
import { effectiveMode } from './naming.js';
import type { ImageSyncSpec } from './spec.js';

/** What the record ConfigMap holds (all strings, as ConfigMap data). */
export interface RunRecord {
  /** ISO time the last run started. */
  lastRun: string;
  /** ISO time the next run is due. */
  nextDue: string;
  /** Hash of the spec the last run was for. */
  spec: string;
  /** `false` while copies of the run wait for a free Job. */
  runComplete: 'true' | 'false';
}

/** What observe decided for a timed Recurrent sync: the record to render, and whether this sync is a run. */
export interface TimedRun {
  everyMs: number;
  due: boolean;
  /** Why it is due (`first run`, `spec changed`, `90m since the last run`, `copies still waiting`). */
  reason?: string;
  record: RunRecord;
}

/** A Recurrent sync's recurrence (default `5m`, image-operator's CRD default). */
export function recurrenceOfSpec(spec: ImageSyncSpec): Recurrence | undefined {
  return recurrenceOf(spec.schedule ?? DEFAULT_FREQUENCY);
}

/** The frequency the reconciler times itself, for a Recurrent sync that is not a CronJob's; else undefined. */
export function timedFrequency(spec: ImageSyncSpec): number | undefined {
  if (effectiveMode(spec) !== 'Recurrent') return undefined;
  const recurrence = recurrenceOfSpec(spec);
  if (!recurrence) return undefined;
  if (recurrence.kind === 'interval') return recurrence.everyMs;
  // A tag selector needs the tag list, and `verify` a check before each copy, which only the reconciler
  // makes: timed even when cron could say it.
  return spec.tags || spec.verify ? recurrence.everyMs : undefined;
}

export function recordName(manifest: Manifest<ImageSyncSpec>): string {
  return nameWithHash(`${manifest.name}-sync-record`, contentHash(manifest.key, 6));
}

export function specHash(spec: ImageSyncSpec): string {
  return contentHash(spec, 12);
}

/** The record as the live ConfigMap holds it; undefined when absent or unreadable. */
export function liveRecord(live: readonly KubeObject[], name: string): RunRecord | undefined {
  const map = live.find((o) => o.kind === 'ConfigMap' && o.metadata.name === name);
  const data = map?.data as Partial<RunRecord> | undefined;
  if (!data?.lastRun || !data.spec || Number.isNaN(Date.parse(data.lastRun))) return undefined;
  return {
    lastRun: data.lastRun,
    nextDue: data.nextDue ?? data.lastRun,
    spec: data.spec,
    runComplete: data.runComplete === 'false' ? 'false' : 'true',
  };
}

/** Is a run due at `now`, given the record of the last one? */
export function decideRun(
  record: RunRecord | undefined,
  spec: ImageSyncSpec,
  everyMs: number,
  now: Date,
): TimedRun {
  const hash = specHash(spec);
  const startNew = (reason: string): TimedRun => ({
    everyMs,
    due: true,
    reason,
    record: {
      lastRun: now.toISOString(),
      nextDue: new Date(now.getTime() + everyMs).toISOString(),
      spec: hash,
      runComplete: 'true',
    },
  });
  if (!record) return startNew('first run');
  if (record.spec !== hash) return startNew('spec changed');
  const elapsed = now.getTime() - Date.parse(record.lastRun);
  if (elapsed >= everyMs) return startNew(`${formatFrequency(everyMs)} since the last run`);
  if (record.runComplete === 'false') return { everyMs, due: true, reason: 'copies still waiting', record };
  return { everyMs, due: false, record };
}

/** The record ConfigMap; `runComplete` says whether this sync's Jobs took every copy the run found. */
export function renderRecord(
  manifest: Manifest<ImageSyncSpec>,
  namespace: string,
  run: TimedRun,
  deferredCopies: number,
): KubeObject {
  const data: RunRecord = run.due
    ? { ...run.record, runComplete: deferredCopies > 0 ? 'false' : 'true' }
    : run.record;
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: recordName(manifest), namespace },
    data: { ...data },
  };
}

/** The status text of a timed run. */
export function describeRun(run: TimedRun): string {
  const every = formatFrequency(run.everyMs);
  const next = `next run due at ${run.record.nextDue} (every ${every}, started by the reconciler at its first sync from then)`;
  return run.due
    ? `run of ${run.record.lastRun} (${run.reason}); ${next}`
    : `last run ${run.record.lastRun}; ${next}`;
}

/** The status text of a Recurrent sync run by its CronJob. */
export function describeCronJob(spec: ImageSyncSpec): string {
  const recurrence = recurrenceOfSpec(spec);
  if (recurrence?.kind !== 'cron') return 'copied on schedule by a CronJob';
  const every = recurrence.everyMs !== undefined ? ` (every ${formatFrequency(recurrence.everyMs)})` : '';
  const note = roundedUpNote(recurrence);
  return `copied by a CronJob on "${recurrence.cron}"${every}, also while the reconciler is down${note ? `; ${note}` : ''}`;
}
