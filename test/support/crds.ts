// CustomResourceDefinitions of other projects that our deploy manifests reference, in their minimal form,
// so that a bare kube-apiserver accepts (and serves) the objects for the tests.
import type { KubeObject } from '../../src/core/kube-object.js';
import type { KubeClient } from '../../src/kube/client.js';
import { waitFor } from './processes.js';

/** The Prometheus Operator's ServiceMonitor, any shape accepted. */
export const serviceMonitorCrd: KubeObject = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: 'servicemonitors.monitoring.coreos.com' },
  spec: {
    group: 'monitoring.coreos.com',
    scope: 'Namespaced',
    names: {
      plural: 'servicemonitors',
      singular: 'servicemonitor',
      kind: 'ServiceMonitor',
      listKind: 'ServiceMonitorList',
    },
    versions: [
      {
        name: 'v1',
        served: true,
        storage: true,
        schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
      },
    ],
  },
};

/** Applies the ServiceMonitor CRD and waits until the API server serves the new resource. */
export async function installServiceMonitorCrd(admin: KubeClient): Promise<void> {
  await admin.apply(serviceMonitorCrd);
  // A CRD is served a moment after it is created.
  await waitFor(
    () =>
      admin.request('GET', '/apis/monitoring.coreos.com/v1/servicemonitors').then(
        () => true,
        () => false,
      ),
    { timeoutMs: 30_000, intervalMs: 200, what: 'the ServiceMonitor CRD to be served' },
  );
}
