import { redactText } from '../core/logger.js';
import type { SyncReport, SyncResult } from './types.js';

/**
 * One sync as the history keeps it: small, so that the last N fit in the status head next to what it holds.
 * `failing` counts manifests Invalid or Failed and file problems; `error` is the sync-wide failure, if any.
 */
export interface SyncHistoryEntry {
  startedAt: string;
  seconds: number;
  trigger: SyncReport['trigger'];
  result: SyncResult;
  commit?: string;
  author?: string;
  /** The commit message's first line, cut short. */
  subject?: string;
  counts: SyncReport['counts'];
  manifests: number;
  failing: number;
  error?: string;
}

const COUNTS = ['applied', 'unchanged', 'pruned', 'failed', 'kept'] as const;
const SUBJECT_MAX = 120;
const ERROR_MAX = 300;

function cut(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** The entry for one sync's report. Error text goes through the logger's URL-credential mask. */
export function historyEntry(report: SyncReport): SyncHistoryEntry {
  const failing =
    report.manifests.filter((m) => m.result === 'Invalid' || m.result === 'Failed').length +
    report.fileProblems.length;
  const subject = report.commit?.message.split('\n')[0]?.trim();
  return {
    startedAt: report.startedAt,
    seconds: Math.round(report.durationSeconds * 1000) / 1000,
    trigger: report.trigger,
    result: report.result,
    ...(report.commit ? { commit: report.commit.sha, author: report.commit.author } : {}),
    ...(subject ? { subject: cut(redactText(subject), SUBJECT_MAX) } : {}),
    counts: { ...report.counts },
    manifests: report.manifests.length,
    failing,
    ...(report.error ? { error: cut(redactText(report.error.message), ERROR_MAX) } : {}),
  };
}

/**
 * Two syncs that say the same thing: same commit, result, counts, failures and error, and nothing applied
 * or pruned. The trigger and the time are left out on purpose: a scheduled sync repeating the last one, or
 * the start-up sync after a restart, is the same news.
 */
function sameNews(a: SyncHistoryEntry, b: SyncHistoryEntry): boolean {
  if (b.counts.applied > 0 || b.counts.pruned > 0) return false;
  return (
    a.commit === b.commit &&
    a.result === b.result &&
    a.failing === b.failing &&
    a.manifests === b.manifests &&
    a.error === b.error &&
    // Field by field: an entry read back from the store has its keys in another order.
    COUNTS.every((k) => a.counts[k] === b.counts[k])
  );
}

/**
 * Newest first, at most `limit` entries. A sync that repeats the newest entry's news is not added: the
 * history is what changed, and so a sync with nothing to do, or a restart, writes nothing (the page and
 * `/status` show the last sync's time).
 */
export function appendHistory(
  history: readonly SyncHistoryEntry[] | undefined,
  entry: SyncHistoryEntry,
  limit: number,
): SyncHistoryEntry[] {
  const list = history ?? [];
  const newest = list[0];
  if (newest && sameNews(newest, entry)) return list.slice(0, limit);
  return [entry, ...list].slice(0, limit);
}
