import { type KubeObject, type ObjectType, objectKey, withoutManagedFields } from '../core/kube-object.js';
import type { CollectionInformer, KubeApi } from './types.js';

/**
 * Objects kept by watches instead of listed again and again (as controller-runtime's cache and Argo CD's
 * cluster cache keep them): one informer per collection (a type in a namespace, by one label selector). A
 * collection is served only while its informer is synced; until then, and after an error, the caller lists
 * it. Our own writes are laid over the informer's copy until its watch has caught up with them (their
 * resourceVersion), so that the sync after a write sees what it wrote, not the version before.
 */
export class WatchedObjects {
  private readonly collections = new Map<string, Collection>();
  /** Our writes the watches have not shown yet, by object key. */
  private readonly pending = new Map<string, PendingWrite>();
  private stopped = false;

  constructor(
    private readonly kube: KubeApi,
    private readonly labelSelector: string,
    private readonly onError: (collection: string, error: unknown) => void = () => {},
  ) {}

  /** Whether the collection has an informer already (synced or not). */
  watching(type: ObjectType, namespace: string | undefined): boolean {
    return this.collections.has(collectionId(type, namespace));
  }

  /**
   * The collection's objects once its informer has started (its first LIST, fresh by construction), or
   * undefined when that start failed or took longer than `timeoutMs` (the caller lists).
   */
  async firstSync(
    type: ObjectType,
    namespace: string | undefined,
    timeoutMs: number,
  ): Promise<KubeObject[] | undefined> {
    await within(this.collectionOf(type, namespace).started, timeoutMs);
    return this.objects(type, namespace);
  }

  /** The collection's objects, or undefined while its informer is not synced (it is started on first ask). */
  objects(type: ObjectType, namespace: string | undefined): KubeObject[] | undefined {
    const id = collectionId(type, namespace);
    const collection = this.collectionOf(type, namespace);
    if (!collection.synced) return undefined;
    const latest = collection.informer.latestResourceVersion();
    const byKey = new Map<string, KubeObject>();
    for (const object of collection.informer.list()) byKey.set(objectKey(object), object);
    for (const [key, write] of this.pending) {
      if (write.collection !== id) continue;
      if (caughtUp(write, latest, byKey.get(key))) {
        this.pending.delete(key);
        continue;
      }
      if (write.object) byKey.set(key, write.object);
      else byKey.delete(key);
    }
    return [...byKey.values()];
  }

  /** An object we wrote, as the API server answered. */
  wrote(object: KubeObject): void {
    this.remember(object, withoutManagedFields(object), object.metadata.resourceVersion);
  }

  /**
   * An object we deleted: the server's answer when it gave one (with a deletionTimestamp the object is still
   * there, finalizers pending), else the version we deleted, hidden until the watch shows its end.
   */
  deleted(live: KubeObject, answer?: KubeObject): void {
    if (answer?.metadata.deletionTimestamp)
      this.remember(answer, withoutManagedFields(answer), answer.metadata.resourceVersion);
    else if (answer?.metadata.resourceVersion)
      this.remember(live, undefined, answer.metadata.resourceVersion);
    else this.remember(live, undefined, undefined, live.metadata.resourceVersion);
  }

  /** Whether every collection asked for so far is served by its watch (none asked: false). */
  synced(): boolean {
    return this.collections.size > 0 && [...this.collections.values()].every((c) => c.synced);
  }

  /** Waits (at most `timeoutMs`) for every collection's informer to have started; then whether all are synced. */
  async untilSynced(timeoutMs: number): Promise<boolean> {
    await within(Promise.all([...this.collections.values()].map((c) => c.started)), timeoutMs);
    return this.synced();
  }

  /** Whether the watch of the object's collection is synced and has seen this version of it, or a later one. */
  seen(object: KubeObject): boolean {
    const collection = this.collections.get(collectionId(object, object.metadata.namespace));
    const version = object.metadata.resourceVersion;
    if (!collection?.synced || !version) return false;
    const latest = collection.informer.latestResourceVersion();
    const past = atOrPast(latest, version);
    if (past !== undefined) return past;
    return collection.informer.list().some((o) => o.metadata.resourceVersion === version);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const collection of this.collections.values()) clearTimeout(collection.retry);
    await Promise.all([...this.collections.values()].map((c) => c.informer.stop()));
    this.collections.clear();
  }

  private remember(
    about: KubeObject,
    object: KubeObject | undefined,
    resourceVersion: string | undefined,
    deletedVersion?: string,
  ): void {
    const id = collectionId(about, about.metadata.namespace);
    const collection = this.collections.get(id);
    if (!collection?.synced) return; // listed at the next sync anyway
    const write: PendingWrite = {
      collection: id,
      object,
      resourceVersion,
      seenAtWrite: collection.informer.latestResourceVersion(),
      deletedVersion,
    };
    // On loopback the watch often shows a write before its answer is back: nothing then to lay over it.
    if (atOrPast(write.seenAtWrite, resourceVersion)) return;
    this.pending.set(objectKey(about), write);
  }

  private collectionOf(type: ObjectType, namespace: string | undefined): Collection {
    const id = collectionId(type, namespace);
    let collection = this.collections.get(id);
    if (!collection) {
      collection = this.open(id, type, namespace);
      this.collections.set(id, collection);
    }
    return collection;
  }

  private open(id: string, type: ObjectType, namespace: string | undefined): Collection {
    const informer = this.kube.informer(type, namespace, this.labelSelector);
    const collection: Collection = {
      informer,
      synced: false,
      errors: 0,
      backoffMs: 0,
      started: Promise.resolve(),
    };
    // A write is forgotten as soon as the watch shows it (not at the next ask): a first sync's 20,000 applies
    // would otherwise be kept twice until the sync after. ListWatch moves its version after the callbacks.
    const settle = (object: KubeObject, current: KubeObject | undefined) => {
      const key = objectKey(object);
      const write = this.pending.get(key);
      const seen = later(informer.latestResourceVersion(), object.metadata.resourceVersion);
      if (write && caughtUp(write, seen, current)) this.pending.delete(key);
    };
    informer.on('add', (object) => settle(object, object));
    informer.on('update', (object) => settle(object, object));
    informer.on('delete', (object) => settle(object, undefined));
    informer.on('error', (error) => {
      if (this.stopped) return; // a stop aborts the watch, which ends in an error
      collection.synced = false;
      collection.errors++;
      this.onError(id, error);
      // ListWatch stops on an error that is not a 410 or a timeout: start it again, backing off.
      collection.backoffMs = Math.min(Math.max(collection.backoffMs * 2, 1000), 30_000);
      clearTimeout(collection.retry);
      collection.retry = setTimeout(() => this.start(collection), collection.backoffMs);
      collection.retry.unref?.();
    });
    this.start(collection);
    return collection;
  }

  private start(collection: Collection): void {
    if (this.stopped) return;
    const errorsBefore = collection.errors;
    collection.started = collection.informer.start().then(
      () => {
        if (this.stopped || collection.errors !== errorsBefore) return;
        collection.synced = true;
        collection.backoffMs = 0;
      },
      () => {}, // ListWatch reports its failures through `error`
    );
  }
}

interface Collection {
  informer: CollectionInformer;
  /** Settles when the informer's last start ended (synced or not). */
  started: Promise<void>;
  synced: boolean;
  errors: number;
  backoffMs: number;
  retry?: ReturnType<typeof setTimeout>;
}

interface PendingWrite {
  collection: string;
  /** The object as written; undefined: deleted. */
  object: KubeObject | undefined;
  /** The write's resourceVersion, when known. */
  resourceVersion: string | undefined;
  /** The informer's resourceVersion when we wrote (for servers whose versions are not numbers). */
  seenAtWrite: string;
  /** For a delete without the server's version: the version we deleted. */
  deletedVersion: string | undefined;
}

function collectionId(type: ObjectType, namespace: string | undefined): string {
  return `${type.apiVersion}/${type.kind}/${namespace ?? ''}`;
}

/**
 * Whether the informer has seen our write or something after it. Resource versions are opaque to clients,
 * but etcd's are increasing integers (every API server stores them so): compared as numbers when they are;
 * otherwise the informer has moved on since the write, or (a delete without a version) no longer holds the
 * version we deleted.
 */
function caughtUp(write: PendingWrite, latest: string, current: KubeObject | undefined): boolean {
  const past = atOrPast(latest, write.resourceVersion);
  if (past !== undefined) return past;
  if (write.deletedVersion !== undefined) return current?.metadata.resourceVersion !== write.deletedVersion;
  return latest !== write.seenAtWrite;
}

/** The later of two versions where both are numbers; else the informer's. */
function later(latest: string, version: string | undefined): string {
  return atOrPast(latest, version) === false ? (version as string) : latest;
}

/** Until `settled` or `timeoutMs`, whichever comes first. */
async function within(settled: Promise<unknown>, timeoutMs: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, timeoutMs);
  });
  await Promise.race([settled, late]);
  clearTimeout(timer);
}

/** Whether `latest` is `version` or after it, where both are etcd's counters; undefined where not comparable. */
function atOrPast(latest: string, version: string | undefined): boolean | undefined {
  if (!version || !isCounter(version) || !isCounter(latest)) return undefined;
  return BigInt(latest) >= BigInt(version);
}

function isCounter(version: string): boolean {
  return /^\d+$/.test(version);
}
