/**
 * The copies behind copy Jobs, as a reviewer reads them in `diff` (ImageSync and ImageBackup): each source
 * with its digest, the destination it goes to and the digest it replaces there. Pure.
 */

import type { ImagePlan, PlannedCopy } from '../core/image-plan.js';
import type { KubeObject } from '../core/kube-object.js';
import { formatImageReference } from '../registry/references.js';
import type { CopyJobSetup, PendingCopy } from './copy-jobs.js';

/** At most this many copies are listed; the rest are counted. */
export const PLANNED_COPIES_MAX = 25;

export interface CopyPlanInput {
  pairFor: CopyJobSetup['pairFor'];
  pending: readonly PendingCopy[];
  replaces?: Readonly<Record<string, string>>;
  /** The Jobs render returned and those already in the cluster: the difference is what a sync creates. */
  objects: readonly KubeObject[];
  live: readonly KubeObject[];
  /** What else the summary says (up to date, missing...), from the kind's own count. */
  upToDate: number;
  /** Copies a pull budget defers (not in `pending`): they wait for a later window. */
  budgetDeferred?: number;
}

export function copyImagePlan(input: CopyPlanInput): ImagePlan {
  const copies: PlannedCopy[] = input.pending.slice(0, PLANNED_COPIES_MAX).map((p) => {
    const pair = input.pairFor(p.sourceRef);
    const replaced = input.replaces?.[p.sourceRef];
    return {
      source: formatImageReference(pair.source),
      sourceDigest: p.digest,
      destination: formatImageReference(pair.destination),
      ...(replaced ? { destinationDigest: replaced } : {}),
    };
  });
  const liveJobs = new Set(input.live.filter((o) => o.kind === 'Job').map((o) => o.metadata.name));
  const newJobs = input.objects.filter((o) => o.kind === 'Job' && !liveJobs.has(o.metadata.name)).length;
  const running = input.pending.length > 0 && newJobs === 0 ? ' (already in running Jobs, or held back)' : '';
  const summary =
    `${input.pending.length} image${input.pending.length === 1 ? '' : 's'} to copy${running}` +
    (newJobs > 0 ? ` in ${newJobs} new Job${newJobs === 1 ? '' : 's'}` : '') +
    `; ${input.upToDate} up to date` +
    (input.budgetDeferred ? `; ${input.budgetDeferred} deferred by a pull budget` : '');
  const more = input.pending.length - copies.length;
  return { summary, ...(copies.length > 0 ? { copies } : {}), ...(more > 0 ? { more } : {}) };
}
