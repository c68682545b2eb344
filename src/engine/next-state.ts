/**
 * What a sync stores, from what it did: a pure function of the state before and this sync's changes and
 * statuses. The engine writes it (src/status/store.ts) after sending the sync's Events.
 */
import type { Problem } from '../core/errors.js';
import type { LoadedManifests } from '../manifests/types.js';
import { type Change, failed } from '../plan/change.js';
import { versionMarker } from '../plan/plan.js';
import type { PullLedger } from '../registry/pull-budget.js';
import { appendHistory, type SyncHistoryEntry } from '../status/history.js';
import type { StoredState } from '../status/store.js';
import type { IgnoredFile, ManifestStatus } from '../status/types.js';
import type { RenderedManifest } from './render-manifests.js';
import { steadyStatus } from './summary.js';

export interface NextStateInput {
  previous: StoredState;
  /** The plan's changes with their outcomes. */
  results: Change[];
  statuses: ManifestStatus[];
  sha: string;
  fileProblems: Problem[];
  ignored: IgnoredFile[];
  /** This sync's history entry. */
  entry: SyncHistoryEntry;
  memory: Record<string, unknown>;
  historyLimit: number;
  pullBudgets?: PullLedger;
}

/**
 * The versions of what we applied (a changed object's marker, an unchanged one's kept), the namespaces we
 * wrote to, the steady statuses, the bounded file problems and ignored files, the history and the kinds'
 * memory.
 */
export function nextStoredState(input: NextStateInput): StoredState {
  const { previous, results, statuses, sha, fileProblems, ignored, entry, memory, pullBudgets } = input;
  const versions: Record<string, string> = {};
  const namespaces = new Set<string>(previous.namespaces);
  for (const r of results) {
    // A foreign object is not ours: nothing of it is recorded (nor its namespace listed for what we own).
    if (failed(r) || r.foreign) continue;
    const { action, live } = r;
    const applied = r.outcome?.applied;
    if ((action === 'create' || action === 'update' || action === 'replace') && applied?.metadata.uid) {
      versions[applied.metadata.uid] = versionMarker(applied);
      if (applied.metadata.namespace) namespaces.add(applied.metadata.namespace);
    } else if (action === 'unchanged' && live?.metadata.uid) {
      versions[live.metadata.uid] = previous.appliedVersions[live.metadata.uid] ?? versionMarker(live);
    }
  }
  return {
    commit: sha,
    manifests: statuses.map(steadyStatus),
    appliedVersions: versions,
    namespaces: [...namespaces].sort(),
    // Bounded: they live in the head ConfigMap, next to what says how many shards to read.
    ...(fileProblems.length > 0
      ? {
          fileProblems: bounded(fileProblems, (n) => ({
            code: 'YAML_PARSE',
            message: `... and ${n} more file problems`,
          })),
        }
      : {}),
    ...(ignored.length > 0
      ? { ignored: bounded(ignored, (n) => ({ file: '...', reason: `and ${n} more ignored files` })) }
      : {}),
    history: appendHistory(previous.history, entry, input.historyLimit),
    ...(Object.keys(memory).length > 0 ? { memory } : {}),
    ...(pullBudgets ? { pullBudgets } : {}),
  };
}

/**
 * The kinds' memory to store: what this sync's observe (or finalize) steps returned, else (nothing returned,
 * observe failed, manifest invalid) what was stored before, for manifests still in Git and those `held` (gone
 * from Git, but their finalize not run: PRUNE=false or a refused prune); any other manifest gone from Git
 * takes its memory with it.
 */
export function keptMemory(
  previous: Record<string, unknown> | undefined,
  rendered: readonly RenderedManifest[],
  loaded: LoadedManifests,
  held: Iterable<string> = [],
): Record<string, unknown> {
  const present = new Set<string>([
    ...loaded.manifests.map((m) => m.key),
    ...loaded.invalid.flatMap((i) => (i.key ? [i.key] : [])),
    ...held,
  ]);
  const memory: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(previous ?? {})) if (present.has(key)) memory[key] = value;
  for (const r of rendered) if (r.memory?.value !== undefined) memory[r.manifest.key] = r.memory.value;
  return memory;
}

/** At most STORED_LIST_MAX entries, the last one saying how many more there were. */
const STORED_LIST_MAX = 1000;
function bounded<T>(items: T[], more: (count: number) => T): T[] {
  if (items.length <= STORED_LIST_MAX) return items;
  return [...items.slice(0, STORED_LIST_MAX - 1), more(items.length - STORED_LIST_MAX + 1)];
}
