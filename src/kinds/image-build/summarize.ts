/**
 * The outcome of a build Job for status and metrics. Pure. The pushed digest is in the build container's
 * termination message (the script writes `buildah push --digestfile` to /dev/termination-log): the engine
 * lists the Job's Pods (label `batch.kubernetes.io/job-name=<job>`, in the Job's namespace) and passes them.
 */
import type { KubeObject } from '../../core/kube-object.js';
import { type JobPhase, jobPhase } from '../../health/job-status.js';
import { BUILD_ANNOTATIONS, BUILD_CONTAINER } from './render.js';

export interface BuildSummary {
  job: string;
  phase: JobPhase;
  /** The commit the Job builds and the image reference it pushes. */
  commit?: string;
  image?: string;
  startTime?: string;
  completionTime?: string;
  durationSeconds?: number;
  /** `sha256:...` of what was pushed (image or image index), once a Pod has reported it. */
  digest?: string;
  /** Why it failed: the Job condition, or the tail of the build log (FallbackToLogsOnError). */
  message?: string;
}

const DIGEST = /^sha256:[a-f0-9]{64}$/;

interface PodStatus {
  containerStatuses?: Array<{
    name: string;
    state?: { terminated?: { exitCode?: number; message?: string } };
  }>;
}

/** The build container's termination message of each Pod: the digest when it succeeded. */
export function terminationMessages(
  pods: readonly KubeObject[],
): Array<{ exitCode?: number; message: string }> {
  return pods.flatMap((pod) =>
    ((pod.status as PodStatus | undefined)?.containerStatuses ?? [])
      .filter((s) => s.name === BUILD_CONTAINER && s.state?.terminated?.message !== undefined)
      .map((s) => {
        const terminated = s.state?.terminated ?? {};
        return terminated.exitCode === undefined
          ? { message: terminated.message ?? '' }
          : { exitCode: terminated.exitCode, message: terminated.message ?? '' };
      }),
  );
}

export function summarizeBuildJob(job: KubeObject, pods: readonly KubeObject[] = []): BuildSummary {
  const phase = jobPhase(job);
  const summary: BuildSummary = { job: job.metadata.name, phase: phase.phase };
  const annotations = job.metadata.annotations ?? {};
  if (annotations[BUILD_ANNOTATIONS.commit]) summary.commit = annotations[BUILD_ANNOTATIONS.commit];
  if (annotations[BUILD_ANNOTATIONS.image]) summary.image = annotations[BUILD_ANNOTATIONS.image];
  const status = (job.status ?? {}) as { startTime?: string; completionTime?: string };
  if (status.startTime) summary.startTime = status.startTime;
  if (status.completionTime) summary.completionTime = status.completionTime;
  if (status.startTime && status.completionTime) {
    summary.durationSeconds = (Date.parse(status.completionTime) - Date.parse(status.startTime)) / 1000;
  }
  const messages = terminationMessages(pods);
  const pushed = messages.map((m) => m.message.trim()).find((m) => DIGEST.test(m));
  if (pushed) summary.digest = pushed;
  if (phase.phase === 'Failed') {
    const log = messages.find((m) => m.exitCode !== 0)?.message.trim();
    const message = [phase.reason, phase.message, log].filter(Boolean).join(': ');
    if (message) summary.message = message;
  }
  return summary;
}
