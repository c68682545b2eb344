import type { KubeObject } from '../core/kube-object.js';
import { count, type Health, healthOf, notObserved, specOf } from './common.js';

/**
 * As gitops-engine's health_daemonset.go: once the spec is observed, OnDelete is Healthy (its pods are
 * replaced only when deleted; the message gives the updated count), any other strategy waits until every
 * scheduled node runs an updated, available pod.
 */
export function daemonSetHealth(ds: KubeObject): Health {
  if (notObserved(ds)) return healthOf('Progressing', 'rollout not observed yet');
  const desired = count(ds, 'desiredNumberScheduled');
  const updated = count(ds, 'updatedNumberScheduled');
  const available = count(ds, 'numberAvailable');
  const strategy = specOf<{ updateStrategy?: { type?: string } }>(ds).updateStrategy?.type;
  if (strategy === 'OnDelete')
    return updated < desired
      ? healthOf('Healthy', `OnDelete: ${updated}/${desired} nodes run the latest revision`)
      : healthOf('Healthy');
  if (updated < desired) return healthOf('Progressing', `${updated}/${desired} nodes updated`);
  if (available < desired) return healthOf('Progressing', `${available}/${desired} nodes available`);
  return healthOf('Healthy');
}
