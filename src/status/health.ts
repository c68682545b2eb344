import type { KubeObject } from '../core/kube-object.js';
import type { HealthState } from './types.js';

interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}

function conditions(object: KubeObject): Condition[] {
  return ((object.status as { conditions?: Condition[] } | undefined)?.conditions ?? []) as Condition[];
}

/** Health as Kubernetes reports it, read from the object's status; objects without status are Healthy. */
export function assessHealth(object: KubeObject | undefined): { health: HealthState; message?: string } {
  if (!object) return { health: 'Unknown' };
  const status = (object.status ?? {}) as Record<string, number | undefined>;
  const generation = object.metadata.generation;
  switch (object.kind) {
    case 'Job': {
      const failed = conditions(object).find((c) => c.type === 'Failed' && c.status === 'True');
      if (failed)
        return { health: 'Failed', message: `${failed.reason ?? 'Failed'}: ${failed.message ?? ''}`.trim() };
      if (conditions(object).some((c) => c.type === 'Complete' && c.status === 'True'))
        return { health: 'Healthy' };
      return { health: 'Progressing', message: 'job running' };
    }
    case 'StatefulSet':
    case 'Deployment': {
      const stalled = conditions(object).find(
        (c) => c.type === 'Progressing' && c.status === 'False' && c.reason === 'ProgressDeadlineExceeded',
      );
      if (stalled) return { health: 'Degraded', message: stalled.message ?? 'progress deadline exceeded' };
      const want = (object.spec as { replicas?: number } | undefined)?.replicas ?? 1;
      const observed = status.observedGeneration;
      if (generation !== undefined && observed !== generation)
        return { health: 'Progressing', message: 'rollout not observed yet' };
      const ready = status.readyReplicas ?? 0;
      const updated = status.updatedReplicas ?? 0;
      if (ready >= want && updated >= want) return { health: 'Healthy' };
      return { health: 'Progressing', message: `${ready}/${want} ready, ${updated}/${want} updated` };
    }
    case 'DaemonSet': {
      const observed = status.observedGeneration;
      if (generation !== undefined && observed !== generation)
        return { health: 'Progressing', message: 'rollout not observed yet' };
      const desired = status.desiredNumberScheduled ?? 0;
      const ready = status.numberReady ?? 0;
      const updated = status.updatedNumberScheduled ?? 0;
      if (ready >= desired && updated >= desired) return { health: 'Healthy' };
      return {
        health: 'Progressing',
        message: `${ready}/${desired} nodes ready, ${updated}/${desired} updated`,
      };
    }
    default:
      return { health: 'Healthy' };
  }
}

const ORDER: HealthState[] = ['Failed', 'Degraded', 'Progressing', 'Unknown', 'Healthy'];

/** The worst health of a set of objects (an empty set is Healthy). */
export function worstHealth(states: HealthState[]): HealthState {
  for (const state of ORDER) if (states.includes(state)) return state;
  return 'Healthy';
}
