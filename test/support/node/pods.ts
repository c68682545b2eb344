// Reading what ran on the node: a Job's outcome and its pods' logs, through the real API server.
import { jobPhase } from '../../../src/health/job-status.js';
import type { KubeApi } from '../../../src/kube/types.js';
import type { ControlPlane } from '../control-plane.js';
import { runCommand, waitFor } from '../processes.js';

export interface FinishedJob {
  phase: string;
  message: string;
}

/** Waits until the Job has finished (Complete or Failed) and returns how. */
export async function waitForJob(
  kube: KubeApi,
  namespace: string,
  name: string,
  timeoutMs = 180_000,
): Promise<FinishedJob> {
  return waitFor(
    async () => {
      const job = await kube.get({ apiVersion: 'batch/v1', kind: 'Job' }, namespace, name);
      if (!job) return undefined;
      const { phase, message } = jobPhase(job) as { phase: string; message?: string };
      return phase === 'Complete' || phase === 'Failed' ? { phase, message: message ?? '' } : undefined;
    },
    { timeoutMs, intervalMs: 500, what: `Job ${namespace}/${name} to finish` },
  );
}

/** The logs of every pod matching the label selector (kubectl, through the API server and the kubelet). */
export async function podLogs(cp: ControlPlane, namespace: string, labelSelector: string): Promise<string> {
  const { stdout } = await runCommand('kubectl', [
    '--kubeconfig',
    cp.kubeconfigPath,
    '--namespace',
    namespace,
    'logs',
    '--selector',
    labelSelector,
    '--all-containers',
    '--ignore-errors',
    '--tail=-1',
  ]);
  return stdout;
}
