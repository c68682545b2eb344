import type { KubeObject } from '../core/kube-object.js';
import { conditionsOf, count, type Health, healthOf, notObserved, specOf } from './common.js';

/**
 * As gitops-engine's health_deployment.go: paused is Suspended; past its progress deadline Degraded; until
 * every wanted replica is updated, the old ones are gone and the updated ones available, Progressing.
 */
export function deploymentHealth(deployment: KubeObject): Health {
  const spec = specOf<{ paused?: boolean; replicas?: number }>(deployment);
  if (spec.paused === true) return healthOf('Suspended', 'Deployment is paused');
  if (notObserved(deployment)) return healthOf('Progressing', 'rollout not observed yet');
  const stalled = conditionsOf(deployment).find(
    (c) => c.type === 'Progressing' && c.reason === 'ProgressDeadlineExceeded',
  );
  if (stalled) return healthOf('Degraded', stalled.message ?? 'progress deadline exceeded');
  const want = spec.replicas ?? 1;
  const updated = count(deployment, 'updatedReplicas');
  const replicas = count(deployment, 'replicas');
  const available = count(deployment, 'availableReplicas');
  if (updated < want) return healthOf('Progressing', `${updated}/${want} replicas updated`);
  if (replicas > updated)
    return healthOf(
      'Progressing',
      `${replicas - updated} old replicas still running, waiting for them to end`,
    );
  if (available < updated)
    return healthOf('Progressing', `${available}/${updated} updated replicas available`);
  return healthOf('Healthy');
}
