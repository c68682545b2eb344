import type { KubeObject, ObjectType } from '../core/kube-object.js';

/**
 * The small interface the engine needs from Kubernetes. The one implementation (kube/client.ts)
 * wraps @kubernetes/client-node; integration tests exercise it against a real kube-apiserver.
 */
export interface KubeApi {
  list(type: ObjectType, namespace: string | undefined, labelSelector?: string): Promise<KubeObject[]>;
  get(type: ObjectType, namespace: string | undefined, name: string): Promise<KubeObject | undefined>;
  /** Server-side apply with our field manager; `dryRun` asks the server what it would store. */
  apply(
    object: KubeObject,
    options?: { dryRun?: boolean; force?: boolean; fieldManager?: string },
  ): Promise<KubeObject>;
  delete(
    type: ObjectType,
    namespace: string | undefined,
    name: string,
    options?: { propagationPolicy?: 'Background' | 'Foreground' | 'Orphan'; dryRun?: boolean },
  ): Promise<DeletedObject | undefined>;
  create(object: KubeObject): Promise<KubeObject>;
  /** One collection kept current by a watch; not started until `start()`. */
  informer(type: ObjectType, namespace: string | undefined, labelSelector: string): CollectionInformer;
}

/** What a DELETE answered when it was the object (as deleted, or marked for deletion): its last version. */
export type DeletedObject = KubeObject;

/**
 * One collection (a type in a namespace, by label) kept current by a watch: listed once, then every event
 * since. client-node's ListWatch does the work: it resumes from the last resourceVersion after a dropped
 * connection and lists afresh on 410 Gone; on any other error it stops and says so (`error`).
 */
export interface CollectionInformer {
  start(): Promise<void>;
  stop(): Promise<void>;
  list(): readonly KubeObject[];
  /** The resourceVersion of the last list or event: every change up to it is in `list()`. */
  latestResourceVersion(): string;
  on(verb: 'add' | 'update' | 'delete', callback: (object: KubeObject) => void): void;
  on(verb: 'error' | 'connect', callback: (error?: unknown) => void): void;
}
