import type { CommitInfo } from '../core/commit.js';
import type { ErrorReason, Problem, ProblemClass } from '../core/errors.js';
import type { HealthState } from '../health/common.js';
import type { IgnoredFile } from '../manifests/types.js';
import type { ChangeAction, ChangeReasonCode, ObjectOutcome } from '../plan/change.js';

export type { HealthState } from '../health/common.js';
/** What happened to one object in a sync: the change type shared with plan and apply (src/plan/change.ts). */
export type { ChangeAction as ObjectAction, ChangeReasonCode, ObjectOutcome } from '../plan/change.js';

export interface ObjectStatus {
  apiVersion: string;
  kind: string;
  namespace?: string;
  name: string;
  action: ChangeAction;
  /** Why this pass did what it did (absent in the stored, steady status). */
  reason?: ChangeReasonCode;
  outcome: ObjectOutcome;
  health?: HealthState;
  message?: string;
  /** A failed object: what sort of failure (kept in the stored status, so conditions read it after a restart). */
  failure?: ProblemClass;
}

/**
 * The result of one manifest in one sync, in Flux's vocabulary: Ready / reason / message.
 * - Applied: objects were created, updated or pruned.
 * - Unchanged: the cluster already matched.
 * - Invalid: the manifest failed validation; its objects were kept as last applied.
 * - Failed: rendering or applying failed; see message.
 */
export type ManifestResult = 'Applied' | 'Unchanged' | 'Invalid' | 'Failed' | 'Planned';

/** Flux's condition types (kstatus): Ready is positive, Reconciling and Stalled are abnormal when True. */
export type ConditionType = 'Ready' | 'Reconciling' | 'Stalled';
export type ConditionStatus = 'True' | 'False' | 'Unknown';

/** Why a condition holds: an error's reason (src/core/errors.ts) or one of the reconciler's states. */
export type ConditionReason =
  | ErrorReason
  | 'ReconciliationSucceeded'
  /** Objects are rolling out, Jobs running. */
  | 'Progressing'
  /** Failed, and the next sync tries again. */
  | 'ProgressingWithRetry'
  /** A dry run: changes would be applied. */
  | 'ChangesPending'
  /** Image copies seen pending (details.pending). */
  | 'CopiesPending'
  /** Applied, but an object is Degraded or Failed (a Job that failed, a crash-looping pod). */
  | 'HealthCheckFailed'
  /** The API server refused an object of the manifest. */
  | 'ApplyFailed';

export interface Condition {
  type: ConditionType;
  status: ConditionStatus;
  reason: ConditionReason;
  message: string;
}

/** The commit that last changed a manifest, and the fingerprint it was told by. */
export interface ChangedIn {
  sha: string;
  author: string;
  date: string;
  fingerprint: string;
  /** The reconciler first met the manifest at this commit: it may have been written earlier. */
  firstSeen?: true;
}

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
  /** The commit that last changed this manifest (changed-in.ts), as far as the reconciler has seen. */
  changedIn?: ChangedIn;
  /** Health summary of the manifest's objects. */
  health: HealthState;
  /** Kind-specific facts (tags pending, pushed digest...), for humans and tools. */
  details?: Record<string, unknown>;
  /**
   * Ready, Reconciling and Stalled (src/status/conditions.ts), derived from the fields above: set on every
   * status the engine reports and the store loads, never stored themselves.
   */
  conditions?: Condition[];
}

export type { IgnoredFile } from '../manifests/types.js';

/** What status needs of a rendered manifest (src/engine's RenderedManifest is one). */
export interface RenderedForStatus {
  manifest: { key: string; kind: string; name: string; origin: { file: string; line: number } };
  problems: Problem[];
  details?: Record<string, unknown>;
}

/** The steps of a sync, in order (src/engine/reconciler.ts). */
export const SYNC_STEPS = ['source', 'manifests', 'live', 'render', 'plan', 'apply', 'status'] as const;
export type SyncStep = (typeof SYNC_STEPS)[number];

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
  /**
   * Seconds each step of the pipeline took (source, manifests, live, render, plan, apply, status): where a
   * slow sync spends its time.
   */
  stepSeconds?: Partial<Record<SyncStep, number>>;
  /** Manifests whose render of the sync before was reused, none of its inputs having changed. */
  rendersReused?: number;
  /** Files parsed and validated by this sync: none when the commit did not move, the changed ones when it did. */
  filesParsed?: number;
  /**
   * Collections of owned objects (type × namespace) listed by this sync; the others came from their watches
   * (WATCH_OWNED). All of them on a full pass, on the first sync and without watches.
   */
  collectionsListed?: number;
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
