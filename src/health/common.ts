import type { KubeObject } from '../core/kube-object.js';

/** Health where it can be read from the object (Argo CD's states, plus Failed for a failed Job). */
export type HealthState = 'Healthy' | 'Progressing' | 'Suspended' | 'Degraded' | 'Failed' | 'Unknown';

export interface Health {
  health: HealthState;
  message?: string;
}

export interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}

export function conditionsOf(object: KubeObject): Condition[] {
  return ((object.status as { conditions?: Condition[] } | undefined)?.conditions ?? []) as Condition[];
}

/** A number of the object's status; Kubernetes leaves out zero counts, so absent is 0. */
export function count(object: KubeObject, field: string): number {
  const value = (object.status as Record<string, unknown> | undefined)?.[field];
  return typeof value === 'number' ? value : 0;
}

export function specOf<T>(object: KubeObject): T {
  return (object.spec ?? {}) as T;
}

/** The controller has not yet seen the latest spec (a missing generation counts as 0, as in Go). */
export function notObserved(object: KubeObject): boolean {
  return (object.metadata.generation ?? 0) > count(object, 'observedGeneration');
}

export function healthOf(health: HealthState, message?: string): Health {
  return message ? { health, message } : { health };
}
