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
  ): Promise<void>;
  create(object: KubeObject): Promise<KubeObject>;
}
