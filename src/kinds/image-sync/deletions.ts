/**
 * Which pushed tags an ImageSync deletes from its destination (pure): those of its record (pushed.ts) that
 * are no longer selected, unless `prune.retain` matches them, all of them refused at once when they are more
 * than MAX_PRUNE_SHARE of the tags it pushed (the objects' prune guard, per manifest; ALLOW_MASS_PRUNE or
 * `sync --allow-mass-prune` lets it through), and none while the selection is not known in full (a tag list
 * cut short) or PRUNE=false. The registry is asked afterwards (confirm-deletions.ts) whether each tag still
 * holds what was pushed, and alone.
 */
import { copyPairFor, effectiveMode } from './naming.js';
import type { PushedRecord } from './pushed.js';
import { timedFrequency } from './recurrence.js';
import type { ImageSyncSpec } from './spec.js';
import { compileTagExpression } from './tags.js';

/**
 * - `delete`: deleted by this sync's Job; `retained`: matches `prune.retain`; `held`: not now (reason);
 * - `refused`: the mass guard; `kept`: not deletable alone (shares its digest with a tag that stays), forgotten;
 * - `changed`: the destination tag now holds another image (not ours any more), forgotten;
 * - `deleted`: no longer at the destination, forgotten.
 */
export type TagDeletionState = 'delete' | 'retained' | 'held' | 'refused' | 'kept' | 'changed' | 'deleted';

export interface TagDeletion {
  /** The destination tag. */
  tag: string;
  state: TagDeletionState;
  reason: string;
  /** The full digest deleted (`delete`, once the registry confirmed it). */
  digest?: string;
}

/** The reconciler's prune settings, as the engine passes them (ObserveContext.prune). */
export interface PrunePolicy {
  /** PRUNE */
  enabled: boolean;
  /** MAX_PRUNE_SHARE */
  maxShare: number;
  /** ALLOW_MASS_PRUNE or `sync --allow-mass-prune` */
  allowMassPrune: boolean;
}

/** The settings' defaults (schemas/settings.schema.json), for an observe not run by the engine. */
export const DEFAULT_PRUNE_POLICY: PrunePolicy = { enabled: true, maxShare: 0.5, allowMassPrune: false };

export interface DeletionPlan {
  deletions: TagDeletion[];
  /** Set when the guard refused: how many would have gone, of how many recorded. */
  refused?: { wouldDelete: number; recorded: number; maxShare: number };
}

export function pruneEnabled(spec: Pick<ImageSyncSpec, 'prune'>): boolean {
  return spec.prune?.enabled === true;
}

export interface DeletionInput {
  record: PushedRecord;
  /** The destination tags the manifest selects now. */
  selected: ReadonlySet<string>;
  /** Only its `prune` is read (a manifest that left Git has no other). */
  spec: Pick<ImageSyncSpec, 'prune'>;
  policy: PrunePolicy;
  /** Why the selection is not known in full (the source's tag list was cut short), if it is not. */
  incomplete?: string;
}

export function planTagDeletions(input: DeletionInput): DeletionPlan {
  const { record, selected, spec, policy } = input;
  if (!pruneEnabled(spec)) return { deletions: [] };
  const retain = spec.prune?.retain ? compileTagExpression(spec.prune.retain) : () => false;
  const unselected = [...record.tags.keys()].filter((tag) => !selected.has(tag));
  const retained = unselected.filter(retain);
  const gone = unselected.filter((tag) => !retain(tag));
  const deletions: TagDeletion[] = retained.map((tag) => ({
    tag,
    state: 'retained',
    reason: `matches prune.retain "${spec.prune?.retain}"`,
  }));
  const all = (state: TagDeletionState, reason: string) =>
    deletions.concat(gone.map((tag) => ({ tag, state, reason })));
  if (gone.length === 0) return { deletions };
  if (input.incomplete)
    return {
      deletions: all('held', `not deleted while the selection is not known in full: ${input.incomplete}`),
    };
  if (!policy.enabled) return { deletions: all('held', 'pruning is disabled (PRUNE=false)') };
  const share = gone.length / record.tags.size;
  if (share > policy.maxShare && !policy.allowMassPrune) {
    const reason =
      `prune refused: ${gone.length} of the ${record.tags.size} tags this manifest pushed would go ` +
      `(over the ${Math.round(policy.maxShare * 100)}% bound, MAX_PRUNE_SHARE); if intended, sync with ` +
      '--allow-mass-prune or set ALLOW_MASS_PRUNE=true';
    return {
      deletions: all('refused', reason),
      refused: { wouldDelete: gone.length, recorded: record.tags.size, maxShare: policy.maxShare },
    };
  }
  return { deletions: all('delete', 'pushed by this manifest, no longer selected') };
}

/** `; pushed tags no longer selected: 2 to delete, ...`: the deletion part of the manifest's one-line summary. */
export function describeDeletions(deletions: readonly TagDeletion[]): string {
  if (deletions.length === 0) return '';
  return `; pushed tags no longer selected: ${countDeletions(deletions)}`;
}

/** `2 to delete, 1 retained, 3 REFUSED (why)`: each state's count, and why the first refused or held one is. */
export function countDeletions(deletions: readonly TagDeletion[]): string {
  const counts = new Map<TagDeletionState, number>();
  for (const d of deletions) counts.set(d.state, (counts.get(d.state) ?? 0) + 1);
  const words: Record<TagDeletionState, string> = {
    delete: 'to delete',
    retained: 'retained',
    held: 'held',
    refused: 'REFUSED',
    kept: 'kept (digest shared)',
    changed: 'changed by someone else (forgotten)',
    deleted: 'deleted',
  };
  const parts = [...counts].map(([state, n]) => `${n} ${words[state]}`);
  const refused = deletions.find((d) => d.state === 'refused' || d.state === 'held');
  return `${parts.join(', ')}${refused ? ` (${refused.reason})` : ''}`;
}

/** `prune` checks a schema cannot express (checkImageSync), each with its field. */
export function pruneProblems(spec: ImageSyncSpec): Array<{ field: string; message: string }> {
  const problems: Array<{ field: string; message: string }> = [];
  if (spec.prune?.retain !== undefined) {
    try {
      compileTagExpression(spec.prune.retain);
    } catch (error) {
      problems.push({
        field: '/spec/prune/retain',
        message: `invalid regular expression: ${(error as Error).message}`,
      });
    }
  }
  if (!pruneEnabled(spec)) return problems;
  if (effectiveMode(spec) === 'Recurrent' && timedFrequency(spec) === undefined)
    problems.push({
      field: '/spec/prune',
      message:
        "a CronJob makes these copies, out of the reconciler's sight: nothing is recorded as pushed, so nothing could be deleted (use a frequency the reconciler times, or no prune)",
    });
  try {
    const [a, b] = ['a', 'b'].map((tag) => copyPairFor(spec, tag).destination);
    if (a?.registry !== b?.registry || a?.repository !== b?.repository)
      problems.push({
        field: '/spec/destination/image',
        message: 'prune needs one destination repository: destination.image must not use {{tag}}',
      });
  } catch {
    // the template's own problem is reported by checkImageSync
  }
  return problems;
}
