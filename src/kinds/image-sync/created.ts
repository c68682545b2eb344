/**
 * `newest: {count, by: created}` (I/O): the matched tags' digests (a conditional HEAD each, none for an
 * immutable tag seen before), each new digest's image `created` read once (kept in memory.ts for good: a
 * digest never changes; "" when the image does not say), then the `count` made last. A steady state costs
 * no manifest GET.
 */
import { mapBounded } from '../../core/concurrency.js';
import type { Platform, RegistryClient } from '../../registry/client.js';
import type { ImageReference } from '../../registry/references.js';
import type { LastSeen } from './memory.js';
import { newestByCreated } from './tags.js';

const CONCURRENCY = 8;

export interface NewestByCreated {
  /** The selection, newest first. */
  tags: string[];
  /** Source digest of each matched tag found (a compare need not ask again). */
  digests: Map<string, string>;
  /** Creation time by digest, of the matched tags' digests. */
  created: Map<string, string>;
}

export async function selectNewestByCreated(
  client: RegistryClient,
  source: Pick<ImageReference, 'registry' | 'repository'>,
  matched: readonly string[],
  count: number,
  options: {
    known: (tag: string) => LastSeen & { immutable?: boolean };
    created: Readonly<Record<string, string>>;
    platform?: Platform;
  },
): Promise<NewestByCreated> {
  const digests = new Map<string, string>();
  await mapBounded(matched, CONCURRENCY, async (tag) => {
    const known = options.known(tag);
    // An immutable tag's digest, once seen, is its digest for good.
    const digest =
      known.immutable && known.source ? known.source : await client.manifestDigest(source, tag, known.source);
    if (digest) digests.set(tag, digest);
  });
  const created = new Map<string, string>();
  await mapBounded([...new Set(digests.values())], CONCURRENCY, async (digest) => {
    const time = options.created[digest] ?? (await client.imageCreated(source, digest, options.platform));
    created.set(digest, time ?? '');
  });
  const createdOf = (tag: string) => {
    const digest = digests.get(tag);
    return (digest && created.get(digest)) || undefined;
  };
  return { tags: newestByCreated(matched, createdOf, count), digests, created };
}
