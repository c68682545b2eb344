/**
 * ImageSync's observe step (I/O): read the credentials and CAs of the registries involved, then ask both
 * registries (tag list, manifest HEADs) which selected tags are not yet at the destination with the source's
 * digest. Only those become copies; a steady state yields none.
 */

import type { ImageOperatorSide } from '../../config/settings.js';
import { ImageGitopsError } from '../../core/errors.js';
import { type BudgetReport, budgetAnswers, describeBudgets } from '../../jobs/copy-budget.js';
import type { PendingCopy } from '../../jobs/copy-jobs.js';
import type { RunPulls } from '../../jobs/cron-runs.js';
import { describeJobFailures, observeJobFailures } from '../../jobs/job-failures.js';
import type { Manifest } from '../../manifests/types.js';
import { type Platform, type RegistryAccess, RegistryClient } from '../../registry/client.js';
import { compareCopies } from '../../registry/compare-copies.js';
import { isArtifactTag } from '../../registry/cosign-signatures.js';
import { defaultAwsEcrAccess } from '../../registry/ecr.js';
import { type CopyFiles, observeAccessForHosts } from '../../registry/registry-access.js';
import { describeTruncation, type Truncation } from '../../registry/tag-pages.js';
import type { ObserveContext } from '../types.js';
import { type NewestByCreated, selectNewestByCreated } from './created.js';
import { observeCronRuns } from './cron-budget.js';
import { describeDeletions, type TagDeletion } from './deletions.js';
import { leaveSpecOf, withLeave } from './leaving.js';
import { lastSeen, memoryScope, readMemory, rememberSeen, type SyncMemory } from './memory.js';
import { copyPairFor, effectiveMode, singleSourceReference, sourceRepository } from './naming.js';
import { observeDeletions } from './observe-deletions.js';
import { imageOperatorSides } from './operator-sides.js';
import { askedForPrice, budgetSyncCopies, sourceBudget } from './pull-budget.js';
import {
  decideRun,
  describeCronJob,
  describeRun,
  liveRecord,
  recordName,
  type TimedRun,
  timedFrequency,
} from './recurrence.js';
import type { ImageSyncSpec } from './spec.js';
import { compileTagExpression, newestRule, selectTags } from './tags.js';
import { describeSigned, readVerifyKey, type SignatureCheck, signCopies } from './verify.js';

export type { PendingCopy } from '../../jobs/copy-jobs.js';
export type { CopyFiles } from '../../registry/registry-access.js';

export interface ImageSyncObserved {
  /** Selected source tags (after pattern, RC rule and `newest`). */
  matched: number;
  upToDate: number;
  /** Copies to make, newest first. */
  pending: PendingCopy[];
  /** The destination digest a pending copy replaces (its tag moved at the source), by source reference. */
  replaces?: Record<string, string>;
  /** Selected references the source does not have. */
  missing: string[];
  /** Entries of the source's tag list that are not valid tags: not copied. */
  skipped?: string[];
  /** The authfile (hosts with credentials) and CA PEMs by host, rendered into the Job's files Secret. */
  files: CopyFiles;
  /** A Recurrent sync the reconciler times (recurrence.ts): whether this sync is a run, and its record. */
  run?: TimedRun;
  /** Up to date immutable tags taken from memory, not asked about (part of upToDate). */
  unchecked?: number;
  /** The source's tag list stopped early: which repository, why, and how much was read. */
  truncated?: Truncation & { repository: string };
  /** With `verify`: the signature verdict of each copy looked at this sync (verify.ts), unverified first. */
  verification?: SignatureCheck[];
  /** Pending copies whose signatures are looked at by a later sync (past this sync's bound): a run goes on. */
  waiting?: number;
  /** `prune`: the pushed tags no longer selected, each deleted by this sync's Job or why not (deletions.ts). */
  deletions?: TagDeletion[];
  /** The source's pull budget, when copies met it: what is left, how many copies it defers and until when. */
  budget?: BudgetReport[];
  /** Run by a CronJob under a pull budget: what one run pulls, for its job template (cron-budget.ts). */
  runPulls?: RunPulls[];
  /** Pending copies deferred by the pull budget (not in `pending`): a timed run goes on. */
  budgetDeferred?: number;
  /**
   * The digests seen this sync, for the next (KindDefinition.remember); when nothing was compared (a timed run
   * not due), the stored memory with only its `leave` brought up to date; absent when there is none.
   */
  memory?: SyncMemory | Record<string, unknown>;
  message: string;
}

/** Credentials, CAs and TLS settings of the source and destination registries. */
export function observeRegistryAccess(
  spec: ImageSyncSpec,
  context: ObserveContext,
  namespace: string,
  sides: { source?: ImageOperatorSide; destination?: ImageOperatorSide } = {},
): Promise<{ access: Map<string, RegistryAccess>; files: CopyFiles }> {
  const pair = copyPairFor(spec, singleSourceReference(spec));
  // The source's settings win when both sides are one registry (one authfile entry per host).
  const sideOf = (host: string) => (host === pair.source.registry ? sides.source : sides.destination);
  return observeAccessForHosts(
    [pair.source.registry, pair.destination.registry],
    spec,
    context,
    namespace,
    sideOf,
  );
}

function platformOf(spec: ImageSyncSpec): Platform | undefined {
  const text = spec.platforms?.[0];
  if (!text) return undefined;
  const [os = 'linux', architecture = 'amd64', variant] = text.split('/');
  return variant ? { os, architecture, variant } : { os, architecture };
}

export function observeImageSync(
  manifest: Manifest<ImageSyncSpec>,
  context: ObserveContext,
): Promise<ImageSyncObserved> {
  return observeImageSyncAt(manifest, context, new Date());
}

/** The observe step at a given time (a timed Recurrent sync decides from it whether a run is due). */
export async function observeImageSyncAt(
  manifest: Manifest<ImageSyncSpec>,
  context: ObserveContext,
  now: Date,
): Promise<ImageSyncObserved> {
  const spec = manifest.spec;
  const namespace = manifest.namespace ?? context.namespace;
  const sides = imageOperatorSides(manifest.origin.apiVersion, context.settings);
  const leave = leaveSpecOf(manifest);
  const { access, files } = await observeRegistryAccess(spec, context, namespace, sides);
  const empty = { matched: 0, upToDate: 0, pending: [], missing: [], files };
  let run: TimedRun | undefined;
  if (effectiveMode(spec) === 'Recurrent') {
    const everyMs = timedFrequency(spec);
    if (everyMs === undefined) return observeCronJobSync(spec, context, namespace, access, empty);
    run = decideRun(liveRecord(context.live, recordName(manifest)), spec, everyMs, now);
    if (!run.due) {
      const failures = await observeJobFailures(context.live, context, namespace);
      const kept = withLeave(context.previous, leave);
      return {
        ...empty,
        run,
        ...(kept ? { memory: kept } : {}),
        message: describeRun(run) + describeJobFailures(failures, 'copy Job'),
      };
    }
  }

  const budget = sourceBudget(spec, context, namespace, access);
  const source = sourceRepository(spec);
  const client = new RegistryClient({
    access: (host) => access.get(host),
    ...(context.signal ? { signal: context.signal } : {}),
    ...(context.registry ? { policy: context.registry } : {}),
    tagPaging: (context.awsEcr ?? defaultAwsEcrAccess()).tagPaging,
    ...(budget && context.pullBudgets
      ? { onAnswer: budgetAnswers(context.pullBudgets, new Map([[source.registry, budget]])) }
      : {}),
  });
  const verifyKey = await readVerifyKey(spec, context, namespace);
  let listed: Set<string> | undefined;
  let refs: string[];
  let skipped: string[] = [];
  let truncated: ImageSyncObserved['truncated'];
  if (spec.tags) {
    const list = await client.listTagsDetailed(
      source,
      spec.tags.maxTags !== undefined ? { maxTags: spec.tags.maxTags } : {},
    );
    if (!list)
      throw new ImageGitopsError(
        'OBSERVE_FAILED',
        `source repository ${source.registry}/${source.repository} not found`,
      );
    skipped = list.skipped;
    if (list.truncated)
      truncated = { repository: `${source.registry}/${source.repository}`, ...list.truncated };
    if (!list.truncated) listed = new Set(list.tags);
    // cosign's tags beside an image are copied with it (verify.ts), never selected as images.
    refs = selectTags(
      list.tags.filter((tag) => !isArtifactTag(tag)),
      spec.tags,
    );
  } else {
    refs = [singleSourceReference(spec)];
  }
  const platform = platformOf(spec);
  const scope = memoryScope(spec);
  const memory = readMemory(context.previous, scope);
  const immutable = spec.tags?.immutable ? compileTagExpression(spec.tags.immutable) : undefined;
  const known = (tag: string) => ({ ...lastSeen(memory, tag), immutable: !!immutable?.(tag) });
  const newest = newestRule(spec.tags?.newest);
  let byCreated: NewestByCreated | undefined;
  if (newest?.by === 'created') {
    byCreated = await selectNewestByCreated(client, source, refs, newest.count, {
      known,
      created: memory.created ?? {},
      ...(platform ? { platform } : {}),
    });
    refs = byCreated.tags;
  }
  const outcomes = await compareCopies(
    client,
    refs.map((ref) => copyPairFor(spec, ref)),
    {
      ...(platform ? { platform } : {}),
      ...(byCreated && !platform ? { sourceDigests: byCreated.digests } : {}),
      known: (pair) => askedForPrice(known(pair.sourceRef), budget),
    },
  );

  const pending: PendingCopy[] = [];
  const replaces: Record<string, string> = {};
  const missing: string[] = [];
  let upToDate = 0;
  let unchecked = 0;
  for (const outcome of outcomes) {
    const ref = outcome.pair.sourceRef;
    if (outcome.state === 'pending') {
      pending.push({ sourceRef: ref, digest: outcome.digest });
      if (outcome.destinationDigest) replaces[ref] = outcome.destinationDigest;
    } else if (outcome.state === 'missing') missing.push(ref);
    else if (outcome.state === 'upToDate') {
      upToDate++;
      if (outcome.unchecked) unchecked++;
    }
  }
  const seen = rememberSeen(
    scope,
    outcomes
      .map((o) => ({
        tag: o.pair.sourceRef,
        ...(o.state === 'upToDate' ? { source: o.digest, destination: o.digest } : {}),
        ...(o.state === 'pending'
          ? { source: o.digest, ...(o.destinationDigest ? { destination: o.destinationDigest } : {}) }
          : {}),
      }))
      .concat(
        // By creation time, the matched tags left out were asked too: their digests spare a request next time.
        [...(byCreated?.digests ?? [])]
          .filter(([tag]) => !refs.includes(tag))
          .map(([tag, digest]) => ({ tag, source: digest })),
      ),
    byCreated?.created,
  );
  if (!spec.tags && missing.length > 0) {
    throw new ImageGitopsError(
      'OBSERVE_FAILED',
      `source ${source.registry}/${source.repository}:${missing[0]} not found`,
    );
  }
  // `prune`: the tags it pushed, and those of them no longer selected (observe-deletions.ts).
  const deleting = await observeDeletions({
    spec,
    client,
    previous: context.previous,
    seenBefore: (ref) => lastSeen(memory, ref),
    outcomes,
    selected: refs,
    live: context.live,
    ...(context.prune ? { policy: context.prune } : {}),
    ...(truncated ? { incomplete: describeTruncation(truncated.repository, truncated) } : {}),
  });
  const { maxJobsPerManifest, tagsPerJob } = context.settings.imageSync;
  const signed = await signCopies(client, source, pending, {
    ...(verifyKey ? { key: verifyKey } : {}),
    ...(listed ? { listed } : {}),
    limit: maxJobsPerManifest * tagsPerJob,
  });
  // Newest first within the source's pull budget; the rest deferred (pull-budget.ts).
  const budgeted = budgetSyncCopies(spec, context, client, budget, signed.pending);
  const message =
    (run ? `${describeRun(run)}: ` : '') +
    `${refs.length} selected, ${upToDate} up to date` +
    (unchecked ? ` (${unchecked} immutable, not asked again)` : '') +
    `, ${signed.pending.length} to copy` +
    describeSigned(signed) +
    (missing.length ? `, ${missing.length} missing at source` : '') +
    ` (at most ${maxJobsPerManifest} Jobs of ${tagsPerJob} tags at a time)` +
    (skipped.length ? `; ${describeSkipped(skipped)}` : '') +
    (truncated ? `; ${describeTruncation(truncated.repository, truncated)}` : '') +
    describeDeletions(deleting.deletions) +
    describeBudgets(budgeted.budgets ?? []) +
    describeJobFailures(await observeJobFailures(context.live, context, namespace), 'copy Job');
  return {
    matched: refs.length,
    upToDate,
    pending: budgeted.pending,
    ...(budgeted.budgets ? { budget: budgeted.budgets } : {}),
    ...(budgeted.deferred ? { budgetDeferred: budgeted.deferred } : {}),
    ...(signed.verification ? { verification: signed.verification } : {}),
    ...(signed.waiting ? { waiting: signed.waiting } : {}),
    ...(Object.keys(replaces).length > 0 ? { replaces } : {}),
    missing,
    ...(skipped.length ? { skipped } : {}),
    ...(run ? { run } : {}),
    ...(unchecked ? { unchecked } : {}),
    ...(truncated ? { truncated } : {}),
    ...(deleting.deletions.length ? { deletions: deleting.deletions } : {}),
    memory: { ...seen, ...(deleting.pushed ? { pushed: deleting.pushed } : {}), ...(leave ? { leave } : {}) },
    files,
    message,
  };
}

/**
 * A sync run by its CronJob: nothing to compare (its runs copy at their own times), but under a pull budget
 * its runs not charged yet are charged, and the status says what the budget covers of the next ones.
 */
async function observeCronJobSync(
  spec: ImageSyncSpec,
  context: ObserveContext,
  namespace: string,
  access: Map<string, RegistryAccess>,
  empty: Pick<ImageSyncObserved, 'matched' | 'upToDate' | 'pending' | 'missing' | 'files'>,
): Promise<ImageSyncObserved> {
  const runs = await observeCronRuns(
    spec,
    context,
    namespace,
    sourceBudget(spec, context, namespace, access),
  );
  if (!runs) return { ...empty, message: describeCronJob(spec) };
  const previous =
    context.previous && typeof context.previous === 'object'
      ? (context.previous as Record<string, unknown>)
      : {};
  return {
    ...empty,
    runPulls: runs.runPulls,
    budget: runs.budget,
    // Undefined keeps the stored memory as it is; a new mark is kept beside what it holds.
    ...(runs.mark ? { memory: { ...previous, cronRuns: runs.mark } } : {}),
    message: describeCronJob(spec) + runs.message,
  };
}

/** `2 source tags skipped, not valid tags: "a b", "x;y"` (the first five, quoted and shortened). */
export function describeSkipped(skipped: readonly string[]): string {
  const shown = skipped.slice(0, 5).map((t) => JSON.stringify(t.length > 40 ? `${t.slice(0, 40)}...` : t));
  const more = skipped.length > shown.length ? ` and ${skipped.length - shown.length} more` : '';
  return `${skipped.length} source tag${skipped.length === 1 ? '' : 's'} skipped, not valid tags: ${shown.join(', ')}${more}`;
}
