import type { ObjectType } from '../core/kube-object.js';
import { type KubeObject, objectKey } from '../core/kube-object.js';
import { KINDS } from '../kinds/registry.js';
import type { KubeApi } from '../kube/types.js';
import { ownedSelector } from '../render/stamp.js';

/** Every object type any kind renders, once each. */
export function ownedTypes(): ObjectType[] {
  const seen = new Map<string, ObjectType>();
  for (const kind of KINDS) {
    for (const type of kind.produces) seen.set(`${type.apiVersion}/${type.kind}`, type);
  }
  return [...seen.values()];
}

/** One LIST per owned type and namespace, by our label: what we own, found in the cluster, not in memory. */
export async function listOwnedObjects(
  kube: KubeApi,
  instance: string,
  namespaces: Iterable<string>,
): Promise<KubeObject[]> {
  const selector = ownedSelector(instance);
  const lists: Promise<KubeObject[]>[] = [];
  const nsList = [...new Set(namespaces)];
  for (const type of ownedTypes()) {
    if (type.clusterScoped) lists.push(kube.list(type, undefined, selector));
    else for (const ns of nsList) lists.push(kube.list(type, ns, selector));
  }
  const unique = new Map<string, KubeObject>();
  for (const object of (await Promise.all(lists)).flat()) unique.set(objectKey(object), object);
  return [...unique.values()];
}
