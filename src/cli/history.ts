import type { SyncHistoryEntry } from '../status/history.js';

const RESULT_MARK: Record<string, string> = {
  Succeeded: '✔',
  NoChange: '=',
  PartiallyFailed: '!',
  Failed: '✘',
};

/** One line per sync, newest first: when, result, commit and author, trigger and time, counts, why it failed. */
export function formatHistoryEntry(entry: SyncHistoryEntry): string {
  const commit = entry.commit ? `${entry.commit.slice(0, 12)} by ${entry.author ?? '?'}` : 'no commit';
  const c = entry.counts;
  const counts = `${c.applied} applied, ${c.pruned} pruned, ${c.unchanged} unchanged, ${c.kept} kept, ${c.failed} failed`;
  const failing = entry.failing > 0 ? `; ${entry.failing} of ${entry.manifests} manifest(s) failing` : '';
  const lines = [
    `${RESULT_MARK[entry.result] ?? '?'} ${entry.startedAt} ${entry.result} at ${commit} (${entry.trigger}, ${entry.seconds.toFixed(2)}s): ${counts}${failing}`,
  ];
  if (entry.subject) lines.push(`    ${entry.subject}`);
  if (entry.error) lines.push(`    error: ${entry.error}`);
  return lines.join('\n');
}

export function formatHistory(history: readonly SyncHistoryEntry[]): string {
  if (history.length === 0) return 'no sync recorded yet';
  return [...history.map(formatHistoryEntry), `${history.length} sync(s), newest first`].join('\n');
}
