import type { ProblemClass } from '../core/errors.js';
import type { KubeObject } from '../core/kube-object.js';
import type { ForeignPatchReason } from '../kinds/types.js';

/**
 * One change, from plan to apply to report to events to diff (as carvel kapp's `Change` is both what is
 * shown and what is applied, and flux's `ChangeSetEntry` feeds logs, events and inventory): the object, its
 * live state, what is to be done and why, and once a writer carried it out, what came of it.
 */
export type ChangeAction = 'create' | 'update' | 'unchanged' | 'delete' | 'keep' | 'replace';

/** Why, as a code a program can switch on; the message says it to a person. */
export type ChangeReasonCode =
  /** create */
  | 'NotInCluster'
  /** unchanged: applied hash and the version marker after our last apply both match */
  | 'MatchesLastApply'
  /** update */
  | 'RenderedChanged'
  | 'ChangedInCluster'
  /** replace: a Job's pod template changed under the same name (immutable) */
  | 'ImmutableJobTemplate'
  /** delete */
  | 'NoLongerRendered'
  | 'ManifestLeftGit'
  /** keep */
  | 'ManifestFailing'
  | 'FileBroken'
  | 'Adopted'
  | 'FinishedJob'
  | 'PruneDisabled'
  | 'PruneRefused'
  /** update of an object we do not own (a foreign change): what the kind's patch does */
  | ForeignPatchReason;

export interface ChangeReason {
  code: ChangeReasonCode;
  message: string;
}

/** What came of a change: `planned` when the writer was a dry-run and the server accepted it. */
export type ObjectOutcome = 'applied' | 'unchanged' | 'pruned' | 'kept' | 'failed' | 'planned';

export interface ChangeOutcome {
  result: ObjectOutcome;
  /** The object as the server stored it (or, with a dry-run writer, would store it). */
  applied?: KubeObject;
  /** A prune's answer: the object as the server deleted it (or marked it for deletion), when it said. */
  deleted?: KubeObject;
  /** Why it failed (the API server's refusal, with any Secret value masked). */
  message?: string;
  /** What sort of failure, by the server's answer: whether the next sync's retry can help. */
  failure?: ProblemClass;
}

export interface Change {
  action: ChangeAction;
  /** The desired object for create/update/replace/unchanged, the live one for delete/keep. */
  object: KubeObject;
  live?: KubeObject;
  manifestKey: string;
  reason: ChangeReason;
  /**
   * A change to an object the engine does not own (kinds/types.ts ForeignPatch): `object` is a partial
   * object, applied with this field manager after every owned change, never recorded as ours or pruned.
   */
  foreign?: { fieldManager: string };
  /** Set by apply (src/apply/executor.ts) once a writer carried the change out. */
  outcome?: ChangeOutcome;
}

/** Whether the change writes (applies, replaces or deletes) anything. */
export function writes(change: Pick<Change, 'action'>): boolean {
  return change.action !== 'unchanged' && change.action !== 'keep';
}

export function failed(change: Change): boolean {
  return change.outcome?.result === 'failed';
}
