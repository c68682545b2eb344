import assert from 'node:assert/strict';
import type { KubeObject } from '../../../src/core/kube-object.js';
import { externalSecretRefs, SecretGate, secretRefusal } from '../../../src/engine/secret-access.js';

const policy = { reserved: [{ namespace: 'ops', name: 'image-gitops-git-credentials' }] };
const secret = (name: string, labels: Record<string, string> = {}): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: { name, namespace: 'ops', labels },
  data: { password: Buffer.from('s3cret').toString('base64') },
});
const usable = { 'image-gitops.io/usable-by-manifests': 'true' };

describe('Secrets meant for manifests', () => {
  it('refuses the reserved, the unlabelled, the missing, ours, and those outside the allowed namespaces', () => {
    assert.match(
      secretRefusal(
        policy,
        'ops',
        'image-gitops-git-credentials',
        secret('image-gitops-git-credentials', usable),
      ) ?? '',
      /reconciler's own/,
    );
    assert.match(secretRefusal(policy, 'ops', 'a', secret('a')) ?? '', /not labelled/);
    assert.match(secretRefusal(policy, 'ops', 'a', undefined) ?? '', /does not exist/);
    assert.match(
      secretRefusal(
        policy,
        'ops',
        'a',
        secret('a', { ...usable, 'app.kubernetes.io/managed-by': 'image-gitops' }),
      ) ?? '',
      /image-gitops renders/,
    );
    assert.match(
      secretRefusal({ ...policy, namespaces: ['registry'] }, 'ops', 'a', secret('a', usable)) ?? '',
      /only in the namespaces registry/,
    );
    assert.equal(secretRefusal(policy, 'ops', 'a', secret('a', usable)), undefined);
  });

  it('reads a reserved Secret never, not even with a GET, and names no value in a refusal', async () => {
    const gets: string[] = [];
    const kube = {
      get: async (_t: unknown, ns: string | undefined, name: string) => {
        gets.push(`${ns}/${name}`);
        return secret(name, name === 'ok' ? usable : {});
      },
    };
    const gate = new SecretGate(kube, policy);
    await assert.rejects(
      gate.read('ops', 'image-gitops-git-credentials'),
      (e: Error) => !/s3cret/.test(e.message),
    );
    await assert.rejects(gate.read('ops', 'plain'), /not labelled/);
    assert.deepEqual(await gate.read('ops', 'ok'), { password: 's3cret' });
    assert.deepEqual(gets, ['ops/plain', 'ops/ok']);
  });

  it("finds every Secret a manifest's pods refer to, except those it renders itself", () => {
    const pod = {
      imagePullSecrets: [{ name: 'pull' }],
      volumes: [
        { name: 'a', secret: { secretName: 'tls' } },
        { name: 'b', projected: { sources: [{ secret: { name: 'projected' } }] } },
        { name: 'c', secret: { secretName: 'own-authfile' } },
      ],
      initContainers: [{ name: 'i', envFrom: [{ secretRef: { name: 'env-from' } }] }],
      containers: [
        { name: 'c', env: [{ name: 'P', valueFrom: { secretKeyRef: { name: 'key-ref', key: 'p' } } }] },
      ],
    };
    const objects: KubeObject[] = [
      { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'own-authfile', namespace: 'ns' } },
      {
        apiVersion: 'apps/v1',
        kind: 'StatefulSet',
        metadata: { name: 's', namespace: 'ns' },
        spec: { template: { spec: pod } },
      },
      {
        apiVersion: 'batch/v1',
        kind: 'CronJob',
        metadata: { name: 'c', namespace: 'ns' },
        spec: {
          jobTemplate: { spec: { template: { spec: { imagePullSecrets: [{ name: 'cron-pull' }] } } } },
        },
      },
    ];
    assert.deepEqual(
      externalSecretRefs(objects)
        .map((r) => `${r.namespace}/${r.name}`)
        .sort(),
      ['ns/cron-pull', 'ns/env-from', 'ns/key-ref', 'ns/projected', 'ns/pull', 'ns/tls'],
    );
  });
});
