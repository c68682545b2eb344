/**
 * ImageSync's pure render: the files Secret (merged authfile and CAs), and either a CronJob (Recurrent at a
 * frequency a CronJob says exactly), the Jobs of a run and its record (Recurrent timed by the reconciler,
 * recurrence.ts) or copy Jobs in batches (OneShot, OnceByTag), made by the shared bounded copy-Job machinery of src/jobs/copy-jobs.ts
 * (Settings.imageSync bounds, live Jobs kept, no second Job for copies a live Job covers).
 */
import { contentHash } from '../../core/hash.js';
import type { KubeObject } from '../../core/kube-object.js';
import { nameWithHash } from '../../core/labels.js';
import {
  type CopyJobSetup,
  copyJobInput,
  hasCopyFiles,
  planCopyJobs,
  renderCopyFilesSecret,
} from '../../jobs/copy-jobs.js';
import { runPullsAnnotation } from '../../jobs/cron-runs.js';
import { renderSecureCronJob } from '../../jobs/job-template.js';
import type { Manifest } from '../../manifests/types.js';
import type { RenderContext } from '../types.js';
import { renderDeletionJobs } from './deletion-job.js';
import { copyPairFor, effectiveMode, singleSourceReference } from './naming.js';
import type { ImageSyncObserved } from './observe.js';
import { imageOperatorSides } from './operator-sides.js';
import { recurrenceOfSpec, renderRecord, timedFrequency } from './recurrence.js';
import type { ImageSyncSpec } from './spec.js';

export { SYNC_COPIES_ANNOTATION } from '../../jobs/copy-jobs.js';

type Context = RenderContext<ImageSyncObserved>;

export function filesSecretName(manifest: Manifest<ImageSyncSpec>): string {
  return nameWithHash(`${manifest.name}-sync-files`, contentHash(manifest.key, 6));
}

/** The copy-Job setup of one ImageSync: refs are source tags (or digests) of its one source repository. */
export function syncCopySetup(
  manifest: Manifest<ImageSyncSpec>,
  context: Context,
  namespace: string,
): CopyJobSetup {
  const spec = manifest.spec;
  return {
    namespace,
    jobPrefix: `${manifest.name}-sync`,
    filesSecretName: filesSecretName(manifest),
    files: context.observed.files,
    registries: spec,
    pairFor: (ref) => copyPairFor(spec, ref),
    sides: imageOperatorSides(manifest.origin.apiVersion, context.settings),
    ...(spec.platforms?.[0] ? { platform: spec.platforms[0] } : {}),
    // A verified copy publishes the very digest verified.
    ...(spec.verify ? { byDigest: true } : {}),
  };
}

/** Live Jobs kept as they are, and new Jobs for the pending copies they do not cover, within the bounds. */
export function renderCopyJobs(
  manifest: Manifest<ImageSyncSpec>,
  context: Context,
  namespace: string,
): KubeObject[] {
  const setup = syncCopySetup(manifest, context, namespace);
  return planCopyJobs(setup, context.settings, context.live, context.observed.pending).jobs;
}

/** A Recurrent sync timed by the reconciler: the copy Jobs of a due run (live ones kept) and the run record. */
export function renderTimedRun(
  manifest: Manifest<ImageSyncSpec>,
  context: Context,
  namespace: string,
): KubeObject[] {
  const run = context.observed.run;
  if (!run)
    throw new Error(`ImageSync ${manifest.key}: no run decided for a Recurrent sync timed by the reconciler`);
  const setup = syncCopySetup(manifest, context, namespace);
  const { jobs, deferred } = planCopyJobs(setup, context.settings, context.live, context.observed.pending);
  const waiting = (context.observed.waiting ?? 0) + (context.observed.budgetDeferred ?? 0);
  return [...jobs, renderRecord(manifest, namespace, run, deferred + waiting)];
}

export function renderCronJob(
  manifest: Manifest<ImageSyncSpec>,
  context: Context,
  namespace: string,
): KubeObject {
  const recurrence = recurrenceOfSpec(manifest.spec);
  if (recurrence?.kind !== 'cron')
    throw new Error(`ImageSync ${manifest.key}: "${manifest.spec.schedule}" is not a CronJob schedule`);
  const schedule = recurrence.cron;
  const setup = syncCopySetup(manifest, context, namespace);
  const input = copyJobInput(setup, context.settings, [singleSourceReference(manifest.spec)]);
  return renderSecureCronJob({
    ...input,
    name: nameWithHash(`${manifest.name}-sync`, contentHash(manifest.key, 6), 52),
    schedule,
    // Each run's Job says what it pulls: charged when a sync sees the run (cron-budget.ts).
    templateAnnotations: runPullsAnnotation(context.observed.runPulls ?? []),
  });
}

export function renderImageSync(manifest: Manifest<ImageSyncSpec>, context: Context): KubeObject[] {
  const namespace = manifest.namespace ?? context.namespace;
  const setup = syncCopySetup(manifest, context, namespace);
  const objects: KubeObject[] = [];
  if (hasCopyFiles(setup.files)) objects.push(renderCopyFilesSecret(setup));
  objects.push(...renderDeletionJobs(manifest, context, setup));
  if (effectiveMode(manifest.spec) !== 'Recurrent')
    objects.push(...renderCopyJobs(manifest, context, namespace));
  else if (timedFrequency(manifest.spec) !== undefined)
    objects.push(...renderTimedRun(manifest, context, namespace));
  else objects.push(renderCronJob(manifest, context, namespace));
  return objects;
}
