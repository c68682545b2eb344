import type { ObjectType } from '../core/kube-object.js';
import { type KubeObject, objectKey } from '../core/kube-object.js';
import { KINDS } from '../kinds/registry.js';
import type { KubeApi } from '../kube/types.js';
import { WatchedObjects } from '../kube/watched-objects.js';
import type { Change } from '../plan/change.js';
import { ownedSelector } from '../render/stamp.js';

/** Every object type any kind renders, once each. */
export function ownedTypes(): ObjectType[] {
  const seen = new Map<string, ObjectType>();
  for (const kind of KINDS) {
    for (const type of kind.produces) seen.set(`${type.apiVersion}/${type.kind}`, type);
  }
  return [...seen.values()];
}

/** How long a sync waits for a new watch's first LIST before it lists the collection itself. */
const FIRST_SYNC_WAIT_MS = 30_000;

/**
 * What this instance owns, by our label, per collection (owned type × namespace): from a watch where one is
 * kept and synced (`watch`: the daemon), else listed. A full pass lists everything afresh: the safety net
 * under the watches, as under the render cache.
 */
export class OwnedObjects {
  private readonly watched?: WatchedObjects;

  constructor(
    private readonly kube: KubeApi,
    private readonly instance: string,
    options: { watch?: boolean; onWatchError?: (collection: string, error: unknown) => void } = {},
  ) {
    if (options.watch) this.watched = new WatchedObjects(kube, ownedSelector(instance), options.onWatchError);
  }

  /** The objects, and how many collections had to be listed (the others came from their watches). */
  async list(
    namespaces: Iterable<string>,
    options: { fresh: boolean },
  ): Promise<{ objects: KubeObject[]; listed: number; collections: number }> {
    const selector = ownedSelector(this.instance);
    const collections: Promise<readonly KubeObject[]>[] = [];
    let listed = 0;
    const one = (type: ObjectType, namespace: string | undefined) => {
      const watched = this.watched;
      if (watched && !watched.watching(type, namespace)) {
        // A new watch lists first: that LIST, fresh by construction, serves this sync (a restart lists once).
        listed++;
        const first = watched.firstSync(type, namespace, FIRST_SYNC_WAIT_MS);
        return collections.push(
          first.then((objects) => objects ?? this.kube.list(type, namespace, selector)),
        );
      }
      const cached = options.fresh ? undefined : watched?.objects(type, namespace);
      if (cached) return collections.push(Promise.resolve(cached));
      listed++;
      collections.push(this.kube.list(type, namespace, selector));
    };
    const nsList = [...new Set(namespaces)];
    for (const type of ownedTypes()) {
      if (type.clusterScoped) one(type, undefined);
      else for (const ns of nsList) one(type, ns);
    }
    const unique = new Map<string, KubeObject>();
    for (const object of (await Promise.all(collections)).flat()) unique.set(objectKey(object), object);
    return { objects: [...unique.values()], listed, collections: collections.length };
  }

  /** This sync's writes, laid over the watches until they show them (none with a dry-run writer). */
  recordWrites(results: readonly Change[]): void {
    if (!this.watched) return;
    for (const change of results) {
      if (change.foreign || change.outcome?.result === 'failed') continue;
      const { applied, deleted } = change.outcome ?? {};
      if (change.outcome?.result === 'applied' && applied) this.watched.wrote(applied);
      else if (change.outcome?.result === 'pruned')
        this.watched.deleted(change.live ?? change.object, deleted);
    }
  }

  /** Whether every owned collection asked for so far is served by its watch (false without watches). */
  synced(): boolean {
    return this.watched?.synced() ?? false;
  }

  /** Waits (at most `timeoutMs`) for the watches asked for so far to start; then whether all are synced. */
  untilSynced(timeoutMs: number): Promise<boolean> {
    return this.watched?.untilSynced(timeoutMs) ?? Promise.resolve(false);
  }

  /** Whether the watches have seen this version of the object or a later one (false without watches). */
  seen(object: KubeObject): boolean {
    return this.watched?.seen(object) ?? false;
  }

  async stop(): Promise<void> {
    await this.watched?.stop();
  }
}
