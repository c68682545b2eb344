import type { KubeObject } from '../../core/kube-object.js';
import { conditionsOf, type Health, healthOf, specOf } from './common.js';

/**
 * As gitops-engine's health_job.go, with one word of our own: a failed Job is `Failed` (gitops-engine says
 * Degraded), which the engine reads as finished. Suspended (condition or spec.suspend) is Suspended.
 */
export function jobHealth(job: KubeObject): Health {
  const isTrue = (type: string) => conditionsOf(job).find((c) => c.type === type && c.status === 'True');
  const failed = isTrue('Failed');
  if (failed) return healthOf('Failed', `${failed.reason ?? 'Failed'}: ${failed.message ?? ''}`.trim());
  if (isTrue('Complete')) return healthOf('Healthy');
  const suspended = isTrue('Suspended');
  if (suspended || specOf<{ suspend?: boolean }>(job).suspend === true)
    return healthOf('Suspended', suspended?.message ?? 'Job is suspended');
  return healthOf('Progressing', 'job running');
}

/** A suspended CronJob starts no Job: Suspended, as Argo CD shows it. */
export function cronJobHealth(cronJob: KubeObject): Health {
  if (specOf<{ suspend?: boolean }>(cronJob).suspend === true)
    return healthOf('Suspended', 'CronJob is suspended');
  return healthOf('Healthy');
}
