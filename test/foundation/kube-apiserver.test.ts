import assert from 'node:assert/strict';
import { KubeClient } from '../../src/kube/client.js';
import { KubeApiError } from '../../src/kube/errors.js';
import { controlPlane } from '../support/control-plane.js';

describe('the test control plane (real etcd and kube-apiserver)', () => {
  it('server-side applies a ConfigMap through our client and reads it back with its managedFields', async () => {
    const cp = await controlPlane();
    const namespace = await cp.newNamespace('ssa');
    const client = KubeClient.fromKubeconfig(cp.kubeconfigPath, { fieldManager: 'image-gitops-test' });
    try {
      await client.apply({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'hello', namespace },
        data: { greeting: 'hi' },
      });
      const live = await client.get({ apiVersion: 'v1', kind: 'ConfigMap' }, namespace, 'hello');
      assert.ok(live);
      assert.equal((live.data as Record<string, string>).greeting, 'hi');
      const managers = (live.metadata.managedFields as { manager: string; operation: string }[]).map(
        (f) => `${f.manager}:${f.operation}`,
      );
      assert.deepEqual(managers, ['image-gitops-test:Apply']);
    } finally {
      client.close();
    }
  });

  it('refuses an invalid object with 422 Invalid', async () => {
    const cp = await controlPlane();
    const namespace = await cp.newNamespace('invalid');
    await assert.rejects(
      cp.kubeApi.apply({
        apiVersion: 'batch/v1',
        kind: 'Job',
        metadata: { name: 'no-containers', namespace },
        spec: { template: { spec: { restartPolicy: 'Never', containers: [] } } },
      }),
      (error: unknown) => error instanceof KubeApiError && error.status === 422 && error.reason === 'Invalid',
    );
  });

  it('records every request in its audit log, so tests can count writes', async () => {
    const cp = await controlPlane();
    const namespace = await cp.newNamespace('audit');
    await cp.kubeApi.apply({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'counted', namespace },
      data: {},
    });
    const patches = cp
      .auditEvents()
      .filter(
        (e) => e.verb === 'patch' && e.objectRef?.namespace === namespace && e.objectRef.name === 'counted',
      );
    assert.equal(patches.length, 1);
  });

  it('serves a non-admin identity that RBAC refuses by default', async () => {
    const cp = await controlPlane();
    const client = KubeClient.fromKubeconfig(cp.kubeconfigFor('nobody'));
    try {
      await assert.rejects(
        client.list({ apiVersion: 'v1', kind: 'Secret' }, 'default'),
        (error: unknown) => error instanceof KubeApiError && error.status === 403,
      );
    } finally {
      client.close();
    }
  });
});
