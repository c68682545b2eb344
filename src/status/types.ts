import type { Problem } from '../core/errors.js';
import type { CommitInfo } from '../kinds/types.js';
import type { IgnoredFile } from '../manifests/types.js';

/** What happened to one object in a sync. */
export type ObjectAction = 'create' | 'update' | 'unchanged' | 'delete' | 'kept';

export type ObjectOutcome = 'applied' | 'unchanged' | 'pruned' | 'kept' | 'failed' | 'planned';

/** Health where it can be read from the object (Argo CD's states, plus Failed for a failed Job). */
export type HealthState = 'Healthy' | 'Progressing' | 'Suspended' | 'Degraded' | 'Failed' | 'Unknown';

export interface ObjectStatus {
  apiVersion: string;
  kind: string;
  namespace?: string;
  name: string;
  action: ObjectAction;
  outcome: ObjectOutcome;
  health?: HealthState;
  message?: string;
}

/**
 * The result of one manifest in one sync, in Flux's vocabulary: Ready / reason / message.
 * - Applied: objects were created, updated or pruned.
 * - Unchanged: the cluster already matched.
 * - Invalid: the manifest failed validation; its objects were kept as last applied.
 * - Failed: rendering or applying failed; see message.
 */
export type ManifestResult = 'Applied' | 'Unchanged' | 'Invalid' | 'Failed' | 'Planned';

export interface ManifestStatus {
  key: string;
  kind: string;
  name: string;
  file: string;
  line?: number;
  result: ManifestResult;
  message: string;
  problems: Problem[];
  objects: ObjectStatus[];
  /** The commit this status is for, and who wrote it. */
  commit: string;
  author: string;
  /** Health summary of the manifest's objects. */
  health: HealthState;
  /** Kind-specific facts (tags pending, pushed digest...), for humans and tools. */
  details?: Record<string, unknown>;
}

export type { IgnoredFile } from '../manifests/types.js';

export type SyncResult = 'Succeeded' | 'PartiallyFailed' | 'Failed' | 'NoChange';

export interface SyncReport {
  startedAt: string;
  finishedAt: string;
  durationSeconds: number;
  trigger: 'schedule' | 'webhook' | 'manual' | 'startup' | 'cli';
  result: SyncResult;
  /** Why the sync failed as a whole (git unreachable, prune refused...), if it did. */
  error?: Problem;
  commit?: CommitInfo;
  /** True when the remote had no new commit and nothing was fetched. */
  fetchSkipped: boolean;
  gitFetchSeconds?: number;
  manifests: ManifestStatus[];
  fileProblems: Problem[];
  /** Files and documents skipped because they are not manifests (CI files, Helm values, submodules...). */
  ignored?: IgnoredFile[];
  counts: { applied: number; unchanged: number; pruned: number; failed: number; kept: number };
  /** Objects applied and pruned, by object kind (for metrics). */
  appliedByKind: Record<string, number>;
  prunedByKind: Record<string, number>;
  pruneRefused?: { wouldDelete: number; owned: number; maxShare: number };
}
