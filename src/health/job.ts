import type { KubeObject } from '../core/kube-object.js';
import { conditionsOf, type Health, healthOf, specOf } from './common.js';
import { jobPhase } from './job-status.js';

/**
 * As gitops-engine's health_job.go, with one word of our own: a failed Job is `Failed` (gitops-engine says
 * Degraded), which the engine reads as finished. Suspended (condition or spec.suspend) is Suspended.
 */
export function jobHealth(job: KubeObject): Health {
  // Finished or not is read in one place (jobs/job-status.ts), which the engine's plan also uses.
  const phase = jobPhase(job);
  if (phase.phase === 'Failed')
    return healthOf('Failed', `${phase.reason ?? 'Failed'}: ${phase.message ?? ''}`.trim());
  if (phase.phase === 'Complete') return healthOf('Healthy');
  const suspended = conditionsOf(job).find((c) => c.type === 'Suspended' && c.status === 'True');
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
