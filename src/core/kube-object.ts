/** The minimal shape of any Kubernetes object this project renders or reads. */
export interface ObjectMeta {
  name: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  managedFields?: unknown[];
  ownerReferences?: unknown[];
  [key: string]: unknown;
}

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  [key: string]: unknown;
}

/** `apps/v1 DaemonSet default/puller`: how objects are named in logs, status and diffs. */
export function objectRef(object: Pick<KubeObject, 'apiVersion' | 'kind' | 'metadata'>): string {
  const ns = object.metadata.namespace ? `${object.metadata.namespace}/` : '';
  return `${object.apiVersion} ${object.kind} ${ns}${object.metadata.name}`;
}

/**
 * Keys by object: an object is not renamed in place (a change makes a new one), and the same rendered or
 * listed object is keyed many times per sync (guards, plan), and again next sync when its render is reused.
 */
const keys = new WeakMap<object, string>();

/** Identity of an object regardless of its content: group/kind/namespace/name. */
export function objectKey(object: Pick<KubeObject, 'apiVersion' | 'kind' | 'metadata'>): string {
  let key = keys.get(object);
  if (key === undefined) {
    const slash = object.apiVersion.indexOf('/');
    const group = slash < 0 ? '' : object.apiVersion.slice(0, slash);
    key = `${group}/${object.kind}/${object.metadata.namespace ?? ''}/${object.metadata.name}`;
    keys.set(object, key);
  }
  return key;
}

/** A type of Kubernetes object (what a kind renders, what the engine lists). */
export interface ObjectType {
  apiVersion: string;
  kind: string;
  /** Cluster-scoped types are listed once, not per namespace. */
  clusterScoped?: boolean;
}

/**
 * The object without managedFields, as lists and watches hand objects on: nothing here reads them, and they
 * are often the larger part of an object (a cache of 20,000 objects would keep them all).
 */
export function withoutManagedFields<T extends KubeObject>(object: T): T {
  if (!object.metadata.managedFields) return object;
  const { managedFields: _, ...metadata } = object.metadata;
  return { ...object, metadata };
}
