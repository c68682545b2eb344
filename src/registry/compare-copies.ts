/**
 * Which copies are needed (I/O): each pair's source digest against its destination's. One tag list per
 * destination repository, shared by the concurrent checks; what was seen last sync (memory.ts) spares
 * requests: an immutable tag settled on both sides costs none, others are asked conditionally.
 */
import { mapBounded } from '../core/concurrency.js';
import type { Platform, RegistryClient } from './client.js';
import type { CopyPair } from './copy-pair.js';

export type CopyOutcome =
  | {
      pair: CopyPair;
      state: 'upToDate';
      digest: string;
      /** Settled immutable tag: taken from memory, nothing asked. */
      unchecked?: true;
    }
  | { pair: CopyPair; state: 'pending'; digest: string; destinationDigest?: string }
  | { pair: CopyPair; state: 'missing' }
  | { pair: CopyPair; state: 'failed'; message: string };

export interface CompareOptions {
  platform?: Platform;
  tolerateErrors?: boolean;
  /** What was seen of a pair last time, and whether its tag is declared immutable. */
  known?: (pair: CopyPair) => LastSeen & { immutable?: boolean };
  /** Source digests already asked this sync, by source reference (not with `platform`). */
  sourceDigests?: ReadonlyMap<string, string>;
}

const CONCURRENCY = 8;

/**
 * Equal digests are up to date, different or absent pending, no source missing. Registry errors throw,
 * unless `tolerateErrors` records them as `failed` for that pair only.
 */
export async function compareCopies(
  client: RegistryClient,
  pairs: readonly CopyPair[],
  options: CompareOptions = {},
): Promise<CopyOutcome[]> {
  const destinationTags = new Map<string, Promise<{ tags: Set<string>; complete: boolean }>>();
  const tagsAt = (registry: string, repository: string) => {
    const key = `${registry}/${repository}`;
    let tags = destinationTags.get(key);
    if (!tags) {
      tags = client.listTagsDetailed({ registry, repository }).then((list) => ({
        tags: new Set(list?.tags ?? []),
        complete: !list?.truncated,
      }));
      destinationTags.set(key, tags);
    }
    return tags;
  };
  const compare = async (pair: CopyPair): Promise<CopyOutcome> => {
    const known = options.known?.(pair) ?? {};
    const { registry, repository, tag = '' } = pair.destination;
    const listed = await tagsAt(registry, repository);
    const present = listed.tags.has(tag);
    if (settledImmutable(known, !!known.immutable, present) && known.source)
      return { pair, state: 'upToDate', digest: known.source, unchecked: true };
    const reference = pair.source.digest ?? pair.source.tag ?? 'latest';
    const digest = options.platform
      ? await client.platformDigest(pair.source, reference, options.platform)
      : (options.sourceDigests?.get(pair.sourceRef) ??
        (await client.manifestDigest(pair.source, reference, known.source)));
    if (!digest) return { pair, state: 'missing' };
    // A tag absent from a truncated list may be past its end: asked.
    const destinationDigest =
      present || !listed.complete
        ? await client.manifestDigest(pair.destination, tag, known.destination)
        : undefined;
    return destinationDigest === digest
      ? { pair, state: 'upToDate', digest }
      : { pair, state: 'pending', digest, ...(destinationDigest ? { destinationDigest } : {}) };
  };
  return mapBounded(pairs, CONCURRENCY, async (pair) => {
    if (!options.tolerateErrors) return compare(pair);
    try {
      return await compare(pair);
    } catch (error) {
      return { pair, state: 'failed', message: error instanceof Error ? error.message : String(error) };
    }
  });
}

export interface LastSeen {
  source?: string;
  destination?: string;
}

/**
 * Whether a tag needs no request this sync: declared immutable, last seen with one digest on both sides,
 * and still listed at the destination (a deleted copy is copied again).
 */
export function settledImmutable(seen: LastSeen, immutable: boolean, listedAtDestination: boolean): boolean {
  return immutable && listedAtDestination && seen.source !== undefined && seen.source === seen.destination;
}
