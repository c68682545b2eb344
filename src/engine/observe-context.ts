import type { Settings } from '../config/settings.js';
import type { KubeObject } from '../core/kube-object.js';
import type { ObserveContext } from '../kinds/types.js';
import type { KubeApi } from '../kube/types.js';

/** A Secret's data, base64-decoded, or undefined when it does not exist. */
export async function readSecretData(
  kube: Pick<KubeApi, 'get'>,
  namespace: string,
  name: string,
): Promise<Record<string, string> | undefined> {
  const secret = await kube.get({ apiVersion: 'v1', kind: 'Secret' }, namespace, name);
  if (!secret) return undefined;
  const data = (secret.data ?? {}) as Record<string, string>;
  return Object.fromEntries(
    Object.entries(data).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]),
  );
}

/** What a kind's observe step may read of the cluster: Secrets by name and lists of objects. */
export function clusterObserveContext(
  kube: Pick<KubeApi, 'get' | 'list'>,
  settings: Settings,
  namespace: string,
  live: KubeObject[],
  signal?: AbortSignal,
): ObserveContext {
  return {
    namespace,
    settings,
    live,
    readSecret: (ns, name) => readSecretData(kube, ns, name),
    listObjects: (type, ns, selector) => kube.list(type, ns, selector),
    ...(signal ? { signal } : {}),
  };
}
