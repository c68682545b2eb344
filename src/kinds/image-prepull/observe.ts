import type { KubeObject } from '../../core/kube-object.js';
import { assessHealth } from '../../health/index.js';
import type { Manifest } from '../../manifests/types.js';
import type { ObserveContext } from '../types.js';
import { normalizePrepull } from './normalize.js';
import { decideRecreate, unreadySince } from './recreate.js';
import { liveDaemonSet, prepullNamespace, prepullSelector } from './render.js';
import type { ImagePrepullSpec } from './types.js';

export interface PrepullObserved {
  /**
   * The clock, read here so that render stays pure; given only with `unreadySince`, the one case where render
   * reads it (a re-creation is decided by how long pods have not been ready). A healthy DaemonSet's observe is
   * then the same every sync, and so its render can be reused (src/engine/render-cache.ts).
   */
  now?: string;
  /** Since when the earliest of the DaemonSet's pods has not been ready, if one is not. */
  unreadySince?: string;
  /** For the manifest's status: settings ignored, pods not ready and their re-creation. */
  message?: string;
}

/**
 * Reads the clock and, only when the live DaemonSet is not Healthy, its pods (one LIST by its labels): how
 * long they have not been ready decides a re-creation (recreate.ts).
 */
export async function observeImagePrepull(
  manifest: Manifest<ImagePrepullSpec>,
  context: ObserveContext,
): Promise<PrepullObserved> {
  const now = new Date().toISOString();
  const notes: string[] = [];
  const ignored = manifest.spec.ignoredSettings ?? [];
  if (ignored.length > 0)
    notes.push(`ignored (kubernetes-image-puller does not read them either): ${ignored.join(', ')}`);
  const { prepull } = normalizePrepull(manifest.spec);
  const namespace = prepullNamespace(manifest.spec, manifest, context.namespace);
  const live = liveDaemonSet(context.live, prepull.daemonSetName ?? manifest.name, namespace);
  const observed: PrepullObserved = {};
  // Pods are listed only for a DaemonSet that is not Healthy and says some of its pods are not ready: a
  // healthy one, or one its controller has not reported on yet (no pods to wait for), costs no request.
  const unhealthy = live && !['Healthy', 'Suspended'].includes(assessHealth(live).health);
  if (live && unhealthy && hasUnreadyPods(live) && prepull.recreateUnhealthyAfterMs !== undefined) {
    const selector = Object.entries(prepullSelector(manifest.name))
      .map(([k, v]) => `${k}=${v}`)
      .join(',');
    const pods = await context.listObjects({ apiVersion: 'v1', kind: 'Pod' }, namespace, selector);
    const since = unreadySince(pods);
    if (since) {
      observed.now = now;
      observed.unreadySince = since;
      const decision = decideRecreate(live, prepull.recreateUnhealthyAfterMs, now, since);
      notes.push(
        decision.recreatedAt
          ? `a pod not ready since ${since}: re-creating the DaemonSet's pods`
          : `a pod not ready since ${since}`,
      );
    }
  }
  if (notes.length > 0) observed.message = notes.join('; ');
  return observed;
}

/** The DaemonSet's status counts pods scheduled that are not ready (none known without a status). */
function hasUnreadyPods(daemonSet: KubeObject): boolean {
  const status = (daemonSet.status ?? {}) as { desiredNumberScheduled?: number; numberReady?: number };
  return (status.desiredNumberScheduled ?? 0) > (status.numberReady ?? 0);
}
