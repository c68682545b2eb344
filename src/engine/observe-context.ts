import type { Settings } from '../config/settings.js';
import type { KubeObject } from '../core/kube-object.js';
import type { ObserveContext } from '../kinds/types.js';
import type { KubeApi } from '../kube/types.js';
import { SecretGate } from './secret-access.js';

/**
 * What a kind's observe step may read of the cluster: Secrets by name, through the gate that lets manifests
 * use only the Secrets meant for them (see secret-access.ts), and lists of objects.
 */
export function clusterObserveContext(
  kube: Pick<KubeApi, 'get' | 'list'>,
  settings: Settings,
  namespace: string,
  live: KubeObject[],
  signal?: AbortSignal,
  gate: SecretGate = new SecretGate(kube, settings.manifestSecrets),
): ObserveContext {
  return {
    namespace,
    settings,
    live,
    readSecret: (ns, name) => gate.read(ns, name),
    listObjects: (type, ns, selector) => kube.list(type, ns, selector),
    ...(signal ? { signal } : {}),
  };
}
