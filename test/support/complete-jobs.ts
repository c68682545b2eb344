import type { KubeObject } from '../../src/core/kube-object.js';
import type { KubeClient } from '../../src/kube/client.js';
import { runJobLocally } from './run-job.js';
import { writeStatus } from './status-subresource.js';

const JOB = { apiVersion: 'batch/v1', kind: 'Job' } as const;
const SECRET = { apiVersion: 'v1', kind: 'Secret' } as const;

/**
 * Plays a Job's pod and the Job controller on an API server that runs neither: the Job's own script runs
 * here, as its pod would (the mounted Secrets' files in a folder), then the Job is marked Complete.
 */
export async function completeJobs(
  kube: KubeClient,
  jobs: readonly KubeObject[],
  namespace: string,
): Promise<void> {
  const secrets = await kube.list(SECRET, namespace);
  for (const job of jobs) {
    await runJobLocally(job, secrets);
    const now = new Date().toISOString();
    await writeStatus(kube, {
      ...job,
      status: {
        startTime: now,
        completionTime: now,
        succeeded: 1,
        conditions: [
          { type: 'SuccessCriteriaMet', status: 'True', lastProbeTime: now, lastTransitionTime: now },
          { type: 'Complete', status: 'True', lastProbeTime: now, lastTransitionTime: now },
        ],
      },
    } as KubeObject);
  }
}

/** Every Job of the namespace not finished yet, run and marked Complete; returns them. */
export async function completePendingJobs(kube: KubeClient, namespace: string): Promise<KubeObject[]> {
  const pending = (await kube.list(JOB, namespace)).filter(
    (j) => !(j.status as { completionTime?: string } | undefined)?.completionTime,
  );
  await completeJobs(kube, pending, namespace);
  return pending;
}
