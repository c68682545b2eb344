import type { KubeObject } from '../core/kube-object.js';
import { conditionsOf, type Health, healthOf, specOf } from './common.js';

interface ContainerStatus {
  name: string;
  state?: {
    waiting?: { reason?: string; message?: string };
    terminated?: { reason?: string; message?: string; exitCode?: number };
  };
  lastState?: { terminated?: unknown };
}

interface PodStatus {
  phase?: string;
  message?: string;
  containerStatuses?: ContainerStatus[];
  initContainerStatuses?: ContainerStatus[];
}

/** A waiting reason that will not pass by itself (CrashLoopBackOff, ImagePullBackOff, ErrImagePull...). */
function stuck(reason: string | undefined): boolean {
  return !!reason && (reason.startsWith('Err') || reason.endsWith('Error') || reason.endsWith('BackOff'));
}

function failure(container: ContainerStatus): string | undefined {
  const terminated = container.state?.terminated;
  if (!terminated) return undefined;
  if (terminated.message) return terminated.message;
  if (terminated.reason === 'OOMKilled') return terminated.reason;
  if (terminated.exitCode)
    return `container "${container.name}" failed with exit code ${terminated.exitCode}`;
  return undefined;
}

/**
 * As gitops-engine's health_pod.go: a long-running pod (restartPolicy Always) stuck in a back-off is
 * Degraded; Pending is Progressing; Succeeded Healthy; Failed Degraded; Running is Healthy when ready (a
 * pod meant to end, restartPolicy OnFailure or Never, stays Progressing until it does).
 */
export function podHealth(pod: KubeObject): Health {
  const status = (pod.status ?? {}) as PodStatus;
  const restartPolicy = specOf<{ restartPolicy?: string }>(pod).restartPolicy ?? 'Always';
  const containers = status.containerStatuses ?? [];
  if (restartPolicy === 'Always') {
    const waiting = containers.filter((c) => stuck(c.state?.waiting?.reason));
    if (waiting.length > 0)
      return healthOf(
        'Degraded',
        waiting.map((c) => c.state?.waiting?.message ?? c.state?.waiting?.reason).join('; '),
      );
  }
  switch (status.phase) {
    case 'Pending':
      return healthOf('Progressing', status.message);
    case 'Succeeded':
      return healthOf('Healthy', status.message);
    case 'Failed': {
      const why =
        status.message ||
        [...(status.initContainerStatuses ?? []), ...containers].map(failure).find((m) => m !== undefined);
      return healthOf('Degraded', why);
    }
    case 'Running': {
      if (restartPolicy !== 'Always') return healthOf('Progressing', status.message);
      if (conditionsOf(pod).some((c) => c.type === 'Ready' && c.status === 'True'))
        return healthOf('Healthy', status.message);
      if (containers.some((c) => c.lastState?.terminated)) return healthOf('Degraded', status.message);
      return healthOf('Progressing', status.message);
    }
    default:
      return healthOf('Unknown', status.message);
  }
}
