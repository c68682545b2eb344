/**
 * Before a pushed tag is deleted, the destination registry is asked (I/O) whether deleting it deletes only
 * it. A registry deletes a manifest by digest, and with it every tag that points at that digest, so a tag is
 * deleted only when it still holds the digest this manifest pushed there, and no tag that stays (selected,
 * retained, or not this manifest's) holds the same digest. Costs nothing when nothing is to be deleted; else a
 * HEAD per tag to delete, the destination's tag list (shared with the copy check) and a HEAD per other tag
 * whose digest is not already known from this sync.
 */
import { mapBounded } from '../../core/concurrency.js';
import type { RegistryClient } from '../../registry/client.js';
import type { ImageReference } from '../../registry/references.js';
import type { TagDeletion } from './deletions.js';
import { type PushedRecord, shortDigest } from './pushed.js';

/** Past this many destination tags of unknown digest, deletions wait (reported) rather than ask them all. */
export const CONFIRM_MAX_HEADS = 1000;
/** At most this many tags are deleted per sync (one Job); the rest are deleted by the next syncs. */
export const DELETIONS_PER_SYNC = 100;

export interface ConfirmInput {
  client: RegistryClient;
  destination: Pick<ImageReference, 'registry' | 'repository'>;
  record: PushedRecord;
  deletions: readonly TagDeletion[];
  /** Destination digests already seen this sync, by destination tag (the selected tags). */
  known: ReadonlyMap<string, string>;
}

/** The deletions with `delete` confirmed (digest set) or turned into `kept`, `changed`, `deleted` or `held`. */
export async function confirmDeletions(input: ConfirmInput): Promise<TagDeletion[]> {
  const { client, destination, record } = input;
  const asked = input.deletions.filter((d) => d.state === 'delete').slice(0, DELETIONS_PER_SYNC);
  const askedTags = new Set(asked.map((d) => d.tag));
  const later = (d: TagDeletion): TagDeletion =>
    d.state === 'delete' && !askedTags.has(d.tag)
      ? { ...d, state: 'held', reason: `more than ${DELETIONS_PER_SYNC} to delete: deleted by a later sync` }
      : d;
  if (asked.length === 0) return input.deletions.map(later);
  const now = new Map<string, string | undefined>();
  await mapBounded(asked, 8, async (d) => {
    now.set(d.tag, await client.manifestDigest(destination, d.tag));
  });
  const confirmed = new Map<string, string>();
  const result = new Map<string, TagDeletion>();
  for (const d of asked) {
    const digest = now.get(d.tag);
    if (!digest) result.set(d.tag, { ...d, state: 'deleted', reason: 'no longer at the destination' });
    else if (shortDigest(digest) !== record.tags.get(d.tag))
      result.set(d.tag, {
        ...d,
        state: 'changed',
        reason: `now holds ${digest.slice(0, 19)}…, not what this manifest pushed: not deleted, forgotten`,
      });
    else confirmed.set(d.tag, digest);
  }
  if (confirmed.size > 0) {
    const sharedWith = await tagsSharingDigests(input, confirmed);
    if ('held' in sharedWith) {
      for (const [tag] of confirmed) result.set(tag, { tag, state: 'held', reason: sharedWith.held });
    } else {
      for (const [tag, digest] of confirmed) {
        const other = sharedWith.byDigest.get(digest);
        result.set(
          tag,
          other
            ? {
                tag,
                state: 'kept',
                reason: `shares its digest with tag ${other}, which stays (a registry deletes a digest with all its tags): not deleted, forgotten`,
              }
            : { tag, state: 'delete', reason: 'pushed by this manifest, no longer selected', digest },
        );
      }
    }
  }
  return input.deletions.map((d) => result.get(d.tag) ?? later(d));
}

/** For each digest to delete, a destination tag not being deleted that holds it (the first one found). */
async function tagsSharingDigests(
  input: ConfirmInput,
  confirmed: ReadonlyMap<string, string>,
): Promise<{ byDigest: Map<string, string> } | { held: string }> {
  const digests = new Set(confirmed.values());
  const list = await input.client.listTagsDetailed(input.destination);
  // A list cut short may hide a tag holding the digest: nothing is deleted on a partial view.
  if (list?.truncated)
    return {
      held: `the destination's tag list was cut short (${list.truncated.reason}): not deleted on a partial view`,
    };
  const others = (list?.tags ?? []).filter((tag) => !confirmed.has(tag));
  const unknown = others.filter((tag) => !input.known.has(tag));
  if (unknown.length > CONFIRM_MAX_HEADS)
    return {
      held: `the destination has ${unknown.length} other tags of unknown digest (more than ${CONFIRM_MAX_HEADS} to ask): not deleted, as one of them could hold the same image`,
    };
  const byDigest = new Map<string, string>();
  const note = (tag: string, digest: string | undefined) => {
    if (digest && digests.has(digest) && !byDigest.has(digest)) byDigest.set(digest, tag);
  };
  for (const tag of others) note(tag, input.known.get(tag));
  await mapBounded(unknown, 8, async (tag) =>
    note(tag, await input.client.manifestDigest(input.destination, tag)),
  );
  return { byDigest };
}
