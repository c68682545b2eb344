import type { KubeObject } from '../../src/core/kube-object.js';
import type { KubeClient } from '../../src/kube/client.js';

/**
 * Writes an object's status subresource, as a controller does: tests play the Job and DaemonSet
 * controllers' part with it on an API server that runs none. The reconciler never writes a status, so this
 * lives here and not on its Kubernetes interface.
 */
export async function writeStatus(kube: KubeClient, object: KubeObject): Promise<KubeObject> {
  const path = await kube.pathOf(object, object.metadata.namespace, object.metadata.name);
  return (await kube.request('PUT', `${path}/status`, object)) as KubeObject;
}
