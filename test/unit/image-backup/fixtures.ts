// Plain workload objects as the API server returns them, for the ImageBackup unit tests.
import type { KubeObject } from '../../../src/core/kube-object.js';

export type Containers = Array<{ name: string; image: string }>;

export function podSpec(containers: Containers, initContainers?: Containers): Record<string, unknown> {
  return { containers, ...(initContainers ? { initContainers } : {}) };
}

export function workload(
  kind: 'Deployment' | 'StatefulSet' | 'DaemonSet' | 'CronJob' | 'Job' | 'Pod',
  name: string,
  spec: Record<string, unknown>,
  metadata: Partial<KubeObject['metadata']> = {},
): KubeObject {
  const apiVersion = kind === 'Pod' ? 'v1' : kind === 'CronJob' || kind === 'Job' ? 'batch/v1' : 'apps/v1';
  const body =
    kind === 'Pod'
      ? spec
      : kind === 'CronJob'
        ? { schedule: '@daily', jobTemplate: { spec: { template: { spec } } } }
        : { template: { spec } };
  return {
    apiVersion,
    kind,
    metadata: { name, namespace: 'apps', uid: `uid-${name}`, ...metadata },
    spec: body,
  };
}
