/**
 * Why a Job's pods failed, in one line for status: the failed container's termination message, which with
 * `terminationMessagePolicy: FallbackToLogsOnError` (set on every secure Job) is the tail of its log when the
 * tool wrote no message of its own, e.g. skopeo's "unauthorized: authentication required".
 */
import type { KubeObject } from '../core/kube-object.js';
import { jobPhase } from '../health/job-status.js';

/** At most this much of a pod's message goes into status: the end, where tools print why they stopped. */
const MAX_REASON_CHARS = 300;

interface TerminatedState {
  exitCode?: number;
  reason?: string;
  message?: string;
}

interface PodStatus {
  containerStatuses?: Array<{ name: string; state?: { terminated?: TerminatedState } }>;
  initContainerStatuses?: Array<{ name: string; state?: { terminated?: TerminatedState } }>;
}

function lastLines(text: string): string {
  const lines = text
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean);
  const tail = lines.slice(-3).join(' / ');
  return tail.length > MAX_REASON_CHARS ? `…${tail.slice(-MAX_REASON_CHARS)}` : tail;
}

/** The first failed container of the pods, as `<container>: <reason> (exit N): <message tail>`. Pure. */
export function podFailureReason(pods: readonly KubeObject[]): string | undefined {
  for (const pod of pods) {
    const status = pod.status as PodStatus | undefined;
    for (const container of [
      ...(status?.initContainerStatuses ?? []),
      ...(status?.containerStatuses ?? []),
    ]) {
      const terminated = container.state?.terminated;
      if (!terminated || terminated.exitCode === 0) continue;
      const head = `${container.name}: ${terminated.reason ?? 'Error'}${terminated.exitCode === undefined ? '' : ` (exit ${terminated.exitCode})`}`;
      const message = terminated.message ? lastLines(terminated.message) : '';
      return message ? `${head}: ${message}` : head;
    }
  }
  return undefined;
}

export interface JobFailure {
  job: string;
  reason: string;
}

/** For each failed Job among the live objects, why its pods failed (or the Job's own condition). */
export async function observeJobFailures(
  live: readonly KubeObject[],
  context: {
    listObjects(
      type: { apiVersion: string; kind: string },
      namespace: string,
      labelSelector: string,
    ): Promise<KubeObject[]>;
  },
  namespace: string,
): Promise<JobFailure[]> {
  const failed = live.filter((o) => o.kind === 'Job' && jobPhase(o).phase === 'Failed');
  return Promise.all(
    failed.map(async (job) => {
      const pods = await context.listObjects(
        { apiVersion: 'v1', kind: 'Pod' },
        job.metadata.namespace ?? namespace,
        `batch.kubernetes.io/job-name=${job.metadata.name}`,
      );
      const phase = jobPhase(job);
      const reason =
        podFailureReason(pods) ?? ([phase.reason, phase.message].filter(Boolean).join(': ') || 'failed');
      return { job: job.metadata.name, reason };
    }),
  );
}

/** `; copy Job a failed: reason` for the status line; empty when nothing failed. */
export function describeJobFailures(failures: readonly JobFailure[], what = 'Job'): string {
  return failures.map((f) => `; ${what} ${f.job} failed: ${f.reason}`).join('');
}
