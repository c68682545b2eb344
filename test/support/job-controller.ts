// What the Job and TTL controllers would do, for a control plane that runs neither (kube-apiserver + etcd only).
import type { KubeObject } from '../../src/core/kube-object.js';
import { SYNC_COPIES_ANNOTATION } from '../../src/jobs/copy-jobs.js';
import type { KubeClient } from '../../src/kube/client.js';
import { writeStatus } from './status-subresource.js';

/** The Job failed, its retries spent: the status the Job controller writes (BackoffLimitExceeded). */
export async function failJob(kube: KubeClient, job: KubeObject): Promise<void> {
  const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const condition = (type: string) => ({
    type,
    status: 'True',
    reason: 'BackoffLimitExceeded',
    message: 'Job has reached the specified backoff limit',
    lastProbeTime: now,
    lastTransitionTime: now,
  });
  await writeStatus(kube, {
    ...job,
    status: { startTime: now, failed: 1, conditions: [condition('FailureTarget'), condition('Failed')] },
  });
}

/** The `sourceRef`s a copy Job makes (ImageSync tags, ImageBackup image references), sorted. */
export function copiesOf(job: KubeObject): string[] {
  const text = job.metadata.annotations?.[SYNC_COPIES_ANNOTATION] ?? '[]';
  return (JSON.parse(text) as { sourceRef: string }[]).map((c) => c.sourceRef).sort();
}
