/**
 * Which destination tags an ImageSync pushed (pure): the record its tag deletions go by (deletions.ts), so that
 * it never deletes a tag it did not push. A tag is recorded once a copy of it is seen completed: the
 * destination now has the source digest, and the last sync saw that tag pending with that digest, or a
 * finished copy Job of this manifest made that very copy. A tag already at the destination before the
 * manifest copied it was not pushed by it, and is never recorded.
 *
 * Kept in the manifest's stored memory beside the digests seen (memory.ts), as `pushed: {repository, tags}`
 * with each tag as `<tag>@<first 16 hex of its digest>` (compact, ordered oldest first), bounded to
 * PUSHED_MAX_TAGS: past it the oldest are forgotten, and so never deleted. Tied to the destination repository
 * only: a new source, tag template or platform keeps it; another destination starts a new one.
 */
import { isDigest } from '../../registry/answers.js';

export const PUSHED_MAX_TAGS = 2000;
const SHORT_HEX = 16;

export interface PushedRecord {
  /** `host/repository` of the destination. */
  repository: string;
  /** Destination tag → the first 16 hex digits of the digest pushed there; insertion order is oldest first. */
  tags: Map<string, string>;
}

/** The record as stored (JSON). */
export interface StoredPushed {
  repository: string;
  tags: string[];
}

/** `sha256:0123...` → `0123456789abcdef`: enough to tell whether a tag still holds what was pushed. */
export function shortDigest(digest: string): string {
  return digest.replace(/^sha256:/, '').slice(0, SHORT_HEX);
}

const ENTRY = /^([A-Za-z0-9_][A-Za-z0-9_.-]{0,127})@([0-9a-f]{16})$/;

/** The stored record of this destination repository, or an empty one (absent, malformed, another repository). */
export function readPushed(previous: unknown, repository: string): PushedRecord {
  const record: PushedRecord = { repository, tags: new Map() };
  const stored = (previous as { pushed?: Partial<StoredPushed> } | undefined)?.pushed;
  if (!stored || typeof stored !== 'object' || stored.repository !== repository) return record;
  if (!Array.isArray(stored.tags)) return record;
  for (const entry of stored.tags.slice(-PUSHED_MAX_TAGS)) {
    const match = typeof entry === 'string' ? ENTRY.exec(entry) : null;
    if (match) record.tags.set(match[1]!, match[2]!);
  }
  return record;
}

/** The record to store; undefined when it holds nothing. */
export function storedPushed(record: PushedRecord): StoredPushed | undefined {
  if (record.tags.size === 0) return undefined;
  return { repository: record.repository, tags: [...record.tags].map(([tag, short]) => `${tag}@${short}`) };
}

/** One copy seen this sync: the destination tag, its source digest, and what is known of how it got there. */
export interface SeenCopy {
  destinationTag: string;
  /** The source digest: the destination has it when `upToDate`. */
  digest: string;
  upToDate: boolean;
  /** The source digest this tag was pending with last sync (a copy was due), if it was. */
  pendingBefore?: string;
  /** A finished copy Job of this manifest copied this very digest to this tag. */
  copiedByJob?: boolean;
}

/** The copies this manifest is seen to have completed (see the module comment). */
export function completedCopies(seen: readonly SeenCopy[]): Array<{ tag: string; digest: string }> {
  return seen
    .filter((c) => c.upToDate && isDigest(c.digest) && (c.pendingBefore === c.digest || c.copiedByJob))
    .map((c) => ({ tag: c.destinationTag, digest: c.digest }));
}

/**
 * The record with these pushes added (a tag pushed again moves to the newest end) and these tags forgotten
 * (deleted, or no longer holding what was pushed); at most PUSHED_MAX_TAGS, the oldest dropped first.
 */
export function updatePushed(
  record: PushedRecord,
  pushed: ReadonlyArray<{ tag: string; digest: string }>,
  forgotten: Iterable<string> = [],
): PushedRecord {
  const tags = new Map(record.tags);
  for (const tag of forgotten) tags.delete(tag);
  for (const { tag, digest } of pushed) {
    tags.delete(tag);
    tags.set(tag, shortDigest(digest));
  }
  const entries = [...tags];
  return { repository: record.repository, tags: new Map(entries.slice(-PUSHED_MAX_TAGS)) };
}
