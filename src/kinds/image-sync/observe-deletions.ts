/**
 * ImageSync's tag deletions within its observe step: update the record of the tags it pushed (pushed.ts) from
 * this sync's comparison, plan the deletions of those no longer selected (deletions.ts), and confirm them with
 * the destination registry (confirm-deletions.ts). Called by observe.ts once the copies are compared.
 */
import type { KubeObject } from '../../core/kube-object.js';
import { jobPhase } from '../../health/job-status.js';
import { SYNC_COPIES_ANNOTATION } from '../../jobs/copy-jobs.js';
import type { RegistryClient } from '../../registry/client.js';
import type { CopyOutcome, LastSeen } from '../../registry/compare-copies.js';
import { confirmDeletions } from './confirm-deletions.js';
import {
  DEFAULT_PRUNE_POLICY,
  type PrunePolicy,
  planTagDeletions,
  pruneEnabled,
  type TagDeletion,
} from './deletions.js';
import { copyPairFor, singleSourceReference } from './naming.js';
import {
  completedCopies,
  type PushedRecord,
  readPushed,
  type StoredPushed,
  storedPushed,
  updatePushed,
} from './pushed.js';
import type { ImageSyncSpec } from './spec.js';

export interface DeletionsInput {
  spec: ImageSyncSpec;
  client: RegistryClient;
  /** The manifest's stored memory (ObserveContext.previous). */
  previous: unknown;
  /** What the last sync saw of a source tag (memory.ts). */
  seenBefore(sourceRef: string): LastSeen;
  /** This sync's comparison of every selected tag. */
  outcomes: readonly CopyOutcome[];
  /** The source references selected now (outcomes cover them). */
  selected: readonly string[];
  live: readonly KubeObject[];
  policy?: PrunePolicy;
  /** Why the selection is not known in full (the source's tag list was cut short). */
  incomplete?: string;
}

export interface ObservedDeletions {
  pushed?: StoredPushed;
  /** Pushed tags no longer selected, and what becomes of each (empty unless `prune.enabled`). */
  deletions: TagDeletion[];
}

/** The one destination repository of the manifest (checkImageSync refuses `prune` with a per-tag one). */
export function destinationRepository(spec: ImageSyncSpec) {
  const { registry, repository } = copyPairFor(spec, singleSourceReference(spec)).destination;
  return { registry, repository };
}

/** Source ref @ digest of every copy a finished copy Job of this manifest made. */
function copiedByJobs(live: readonly KubeObject[]): Set<string> {
  const done = new Set<string>();
  for (const job of live) {
    const text = job.kind === 'Job' ? job.metadata.annotations?.[SYNC_COPIES_ANNOTATION] : undefined;
    if (!text || jobPhase(job).phase !== 'Complete') continue;
    try {
      const copies = JSON.parse(text) as Array<{ sourceRef?: unknown; digest?: unknown }>;
      if (Array.isArray(copies))
        for (const c of copies) done.add(`${String(c.sourceRef)}@${String(c.digest)}`);
    } catch {
      // not ours to read: no copy counted
    }
  }
  return done;
}

export async function observeDeletions(input: DeletionsInput): Promise<ObservedDeletions> {
  const { spec } = input;
  const destination = destinationRepository(spec);
  let record = readPushed(input.previous, `${destination.registry}/${destination.repository}`);
  const byJobs = copiedByJobs(input.live);
  const known = new Map<string, string>();
  const seen = input.outcomes.flatMap((o) => {
    if (o.state !== 'upToDate' && o.state !== 'pending') return [];
    const tag = o.pair.destination.tag ?? '';
    const atDestination = o.state === 'upToDate' ? o.digest : o.destinationDigest;
    if (atDestination) known.set(tag, atDestination);
    const before = input.seenBefore(o.pair.sourceRef);
    const pendingBefore = before.source && before.source !== before.destination ? before.source : undefined;
    return [
      {
        destinationTag: tag,
        digest: o.digest,
        upToDate: o.state === 'upToDate',
        ...(pendingBefore ? { pendingBefore } : {}),
        ...(byJobs.has(`${o.pair.sourceRef}@${o.digest}`) ? { copiedByJob: true } : {}),
      },
    ];
  });
  record = updatePushed(record, completedCopies(seen));
  if (!pruneEnabled(spec)) return storedOf(record, []);
  const plan = planTagDeletions({
    record,
    selected: new Set(input.selected.map((ref) => copyPairFor(spec, ref).destination.tag ?? '')),
    spec,
    policy: input.policy ?? DEFAULT_PRUNE_POLICY,
    ...(input.incomplete ? { incomplete: input.incomplete } : {}),
  });
  const deletions = await confirmDeletions({
    client: input.client,
    destination,
    record,
    deletions: plan.deletions,
    known,
  });
  const forgotten = deletions
    .filter((d) => ['kept', 'changed', 'deleted'].includes(d.state))
    .map((d) => d.tag);
  return storedOf(updatePushed(record, [], forgotten), deletions);
}

function storedOf(record: PushedRecord, deletions: TagDeletion[]): ObservedDeletions {
  const pushed = storedPushed(record);
  return { ...(pushed ? { pushed } : {}), deletions };
}
