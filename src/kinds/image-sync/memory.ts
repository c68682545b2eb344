/**
 * What ImageSync keeps of one manifest between syncs (stored with the status: it survives a restart), pure:
 * the last seen source and destination digest of each selected tag. With it, a tag declared immutable
 * (`tags.immutable`) that was seen with equal digests on both sides is not asked about again, and other tags
 * are asked conditionally (`If-None-Match` with the last digest).
 *
 * Compact: one digest when both sides had it, `[source, destination]` otherwise (`""` for none). Bounded to
 * MEMORY_MAX_TAGS tags (the newest of the selection), so that one manifest's memory stays well under a
 * status shard. Tied to what it was seen for (source, destination and tag template, platform): a manifest
 * that points elsewhere starts afresh.
 */
import { createHash } from 'node:crypto';
import { isDigest } from '../../registry/answers.js';
import type { LastSeen } from '../../registry/compare-copies.js';
import type { LeaveSpec } from './leaving.js';
import type { StoredPushed } from './pushed.js';
import type { ImageSyncSpec } from './spec.js';

export { type LastSeen, settledImmutable } from '../../registry/compare-copies.js';

export const MEMORY_MAX_TAGS = 2000;

export interface SyncMemory {
  /** Fingerprint of what the digests were seen for (`memoryScope`). */
  scope: string;
  /** By source tag: the digest both sides had, or [source, destination] ("" when that side had none). */
  tags: Record<string, string | [string, string]>;
  /** `newest: {by: created}`: each source digest's image `created` ("" if it has none), read once for good. */
  created?: Record<string, string>;
  /** The destination tags this manifest pushed (pushed.ts): what `prune` may delete. Kept across scopes. */
  pushed?: StoredPushed;
  /** With `prune.enabled`: what deleting those tags needs once the manifest has left Git (leaving.ts). */
  leave?: LeaveSpec;
}

/** What the digests are of: a change of source, destination, tag template or platform voids them. */
export function memoryScope(spec: ImageSyncSpec): string {
  const seenFor = [
    spec.source.image,
    spec.destination.image,
    spec.destination.tag ?? '',
    spec.platforms ?? [],
  ];
  return createHash('sha256').update(JSON.stringify(seenFor)).digest('hex').slice(0, 16);
}

const digestOrNone = (value: unknown): value is string =>
  value === '' || (typeof value === 'string' && isDigest(value));

/** The stored memory when it is one, of this scope, and well formed; else an empty one. */
export function readMemory(previous: unknown, scope: string): SyncMemory {
  const empty: SyncMemory = { scope, tags: {} };
  const stored = previous as Partial<SyncMemory> | undefined;
  if (!stored || typeof stored !== 'object' || stored.scope !== scope) return empty;
  if (!stored.tags || typeof stored.tags !== 'object' || Array.isArray(stored.tags)) return empty;
  const tags: SyncMemory['tags'] = {};
  for (const [tag, value] of Object.entries(stored.tags)) {
    if (typeof value === 'string' && isDigest(value)) tags[tag] = value;
    else if (Array.isArray(value) && value.length === 2 && value.every(digestOrNone))
      tags[tag] = [value[0], value[1]] as [string, string];
  }
  const created: Record<string, string> = {};
  const storedCreated = stored.created && typeof stored.created === 'object' ? stored.created : {};
  for (const [digest, time] of Object.entries(storedCreated))
    if (
      isDigest(digest) &&
      typeof time === 'string' &&
      time.length <= 64 &&
      (time === '' || !Number.isNaN(Date.parse(time)))
    )
      created[digest] = time;
  return { scope, tags, ...(Object.keys(created).length ? { created } : {}) };
}

export function lastSeen(memory: SyncMemory, tag: string): LastSeen {
  const value = memory.tags[tag];
  if (value === undefined) return {};
  const [source, destination] = typeof value === 'string' ? [value, value] : value;
  return { ...(source ? { source } : {}), ...(destination ? { destination } : {}) };
}

/**
 * The memory to keep: the tags seen this sync, in selection order (newest first), at most MEMORY_MAX_TAGS,
 * and the creation times of the digests the selection still has (at most as many).
 */
export function rememberSeen(
  scope: string,
  seen: ReadonlyArray<{ tag: string } & LastSeen>,
  created: ReadonlyMap<string, string> = new Map(),
): SyncMemory {
  const tags: SyncMemory['tags'] = {};
  let kept = 0;
  for (const { tag, source, destination } of seen) {
    if (kept >= MEMORY_MAX_TAGS) break;
    if (!source && !destination) continue;
    tags[tag] = source && source === destination ? source : [source ?? '', destination ?? ''];
    kept++;
  }
  const times: Record<string, string> = {};
  for (const [digest, time] of [...created].slice(0, MEMORY_MAX_TAGS)) times[digest] = time;
  return { scope, tags, ...(created.size ? { created: times } : {}) };
}
