import type { KubeObject } from '../core/kube-object.js';
import type { HealthState } from './common.js';
import { type Health, healthOf } from './common.js';
import { persistentVolumeClaimHealth, serviceHealth } from './core.js';
import { daemonSetHealth } from './daemonset.js';
import { deploymentHealth } from './deployment.js';
import { cronJobHealth, jobHealth } from './job.js';
import { podHealth } from './pod.js';
import { statefulSetHealth } from './statefulset.js';

/** Health by group and kind, one file per kind under health/, as gitops-engine's pkg/health. */
const CHECKS: Record<string, (object: KubeObject) => Health> = {
  'apps/Deployment': deploymentHealth,
  'apps/StatefulSet': statefulSetHealth,
  'apps/DaemonSet': daemonSetHealth,
  'batch/Job': jobHealth,
  'batch/CronJob': cronJobHealth,
  '/PersistentVolumeClaim': persistentVolumeClaimHealth,
  '/Service': serviceHealth,
  '/Pod': podHealth,
};

function groupOf(apiVersion: string): string {
  return apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : '';
}

/**
 * Health as Argo CD's gitops-engine judges it, read from the object's status: an object being deleted is
 * Progressing; kinds without a rule (ConfigMap, Secret...) are Healthy; a missing object is Unknown.
 */
export function assessHealth(object: KubeObject | undefined): Health {
  if (!object) return { health: 'Unknown' };
  if (object.metadata.deletionTimestamp) return healthOf('Progressing', 'pending deletion');
  const check = CHECKS[`${groupOf(object.apiVersion)}/${object.kind}`];
  return check ? check(object) : { health: 'Healthy' };
}

/**
 * Worst first. Suspended sits just above Healthy, as in gitops-engine's order: paused on purpose, not
 * broken, so one suspended object does not hide a progressing or failing one.
 */
const ORDER: HealthState[] = ['Failed', 'Degraded', 'Progressing', 'Unknown', 'Suspended', 'Healthy'];

/** The worst health of a set of objects (an empty set is Healthy). */
export function worstHealth(states: HealthState[]): HealthState {
  for (const state of ORDER) if (states.includes(state)) return state;
  return 'Healthy';
}
