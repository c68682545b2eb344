/** The outcome of live Jobs, read from their status conditions. Pure. */
import type { KubeObject } from '../core/kube-object.js';

export type JobPhase = 'Active' | 'Complete' | 'Failed';

export interface JobSummary {
  name: string;
  phase: JobPhase;
  /** The Failed condition's reason (BackoffLimitExceeded, DeadlineExceeded...) and message. */
  reason?: string;
  message?: string;
}

interface JobStatus {
  conditions?: Array<{ type: string; status: string; reason?: string; message?: string }>;
}

export function jobPhase(job: KubeObject): JobSummary {
  const conditions = (job.status as JobStatus | undefined)?.conditions ?? [];
  const isTrue = (type: string) => conditions.find((c) => c.type === type && c.status === 'True');
  const failed = isTrue('Failed');
  if (failed) {
    const summary: JobSummary = { name: job.metadata.name, phase: 'Failed' };
    if (failed.reason) summary.reason = failed.reason;
    if (failed.message) summary.message = failed.message;
    return summary;
  }
  if (isTrue('Complete')) return { name: job.metadata.name, phase: 'Complete' };
  return { name: job.metadata.name, phase: 'Active' };
}

/** One summary per live Job (other kinds ignored), by name. */
export function summarizeJobs(live: readonly KubeObject[]): JobSummary[] {
  return live
    .filter((o) => o.kind === 'Job' && o.apiVersion === 'batch/v1')
    .map(jobPhase)
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
