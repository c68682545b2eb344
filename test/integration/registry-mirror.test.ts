import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import { DEFAULT_SETTINGS } from '../../src/config/settings.js';
import type { KubeObject } from '../../src/core/kube-object.js';
import { registryMirrorKind } from '../../src/kinds/registry-mirror/index.js';
import { convertMirrorOperator } from '../../src/kinds/registry-mirror/mirror-operator.js';
import type { RegistryMirrorSpec } from '../../src/kinds/registry-mirror/types.js';
import { type ControlPlane, controlPlane } from '../support/control-plane.js';

// biome-ignore lint/suspicious/noExplicitAny: tests read nested fields of rendered and stored objects
type Loose = any;

function render(
  name: string,
  namespace: string,
  spec: RegistryMirrorSpec,
  as: { apiVersion?: string; settings?: typeof DEFAULT_SETTINGS } = {},
): KubeObject[] {
  return registryMirrorKind.render(
    {
      key: `RegistryMirror/${namespace}/${name}`,
      kind: 'RegistryMirror',
      name,
      namespace,
      spec,
      origin: {
        file: 'mirrors.yaml',
        line: 1,
        apiVersion: as.apiVersion ?? 'image-gitops.io/v1alpha1',
        kind: 'RegistryMirror',
      },
    },
    {
      namespace: 'default',
      settings: as.settings ?? DEFAULT_SETTINGS,
      commit: { sha: 'e'.repeat(40), author: 'it', date: '2026-01-01T00:00:00Z', message: 'it' },
      live: [],
      observed: undefined,
    },
  );
}

async function applyAll(cp: ControlPlane, objects: KubeObject[]): Promise<KubeObject[]> {
  const stored: KubeObject[] = [];
  for (const object of objects) stored.push(await cp.kubeApi.apply(object));
  return stored;
}

describe('RegistryMirror objects on a real kube-apiserver', function () {
  this.timeout(120_000);
  let cp: ControlPlane;

  before(async () => {
    cp = await controlPlane();
  });

  const variants: Array<[string, RegistryMirrorSpec]> = [
    ['defaults (containerd node config)', { upstreamUrl: 'docker.io' }],
    [
      'every option',
      {
        upstreamUrl: 'https://registry.example.com:5443',
        credentialsSecret: { name: 'upstream-creds', usernameKey: 'user', passwordKey: 'token' },
        upstreamCaConfigMap: 'upstream-ca',
        replicas: 2,
        storage: { size: '5Gi', storageClassName: 'fast', accessModes: ['ReadWriteOnce'] },
        resources: { requests: { cpu: '50m', memory: '64Mi' }, limits: { memory: '256Mi' } },
        tls: { secretName: 'mirror-tls' },
        nodes: {
          nodeSelector: { pool: 'build' },
          tolerations: [{ operator: 'Exists' }],
        },
        nodeSelector: { 'kubernetes.io/os': 'linux' },
        tolerations: [{ key: 'infra', operator: 'Exists', effect: 'NoSchedule' }],
        affinity: { podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [] } },
        imagePullSecrets: ['pull'],
        labels: { team: 'infra' },
        podLabels: { tier: 'cache' },
      },
    ],
    [
      'hosts masquerade',
      {
        upstreamUrl: 'quay.io',
        nodeConfig: 'hosts',
        masqueradeUrl: 'local.quay.io',
        tls: { secretName: 'tls' },
      },
    ],
    ['no node config', { upstreamUrl: 'ghcr.io', nodeConfig: 'none' }],
  ];

  for (const [title, spec] of variants) {
    it(`accepts every object rendered with ${title}`, async () => {
      const namespace = await cp.newNamespace('mirror');
      const objects = render('hub', namespace, spec);
      const stored = await applyAll(cp, objects);
      assert.deepEqual(
        stored.map((o) => `${o.kind}/${o.metadata.name}`),
        objects.map((o) => `${o.kind}/${o.metadata.name}`),
      );
      for (const object of stored)
        assert.ok(object.metadata.uid, `${object.kind} ${object.metadata.name} stored`);
      // Kubernetes' own label selection still finds the mirror, as with mirror-operator.
      for (const kind of ['Service', 'StatefulSet']) {
        const listed = await cp.kubeApi.list(
          { apiVersion: kind === 'Service' ? 'v1' : 'apps/v1', kind },
          namespace,
          'mirror=hub',
        );
        assert.ok(listed.length >= 1, `${kind} listed by mirror=hub`);
      }
    });
  }

  it('stores the pinned ClusterIP that the node configuration names', async () => {
    const namespace = await cp.newNamespace('mirror-ip');
    const ip = `10.96.${128 + Math.floor(Math.random() * 120)}.${2 + Math.floor(Math.random() * 250)}`;
    const stored = await applyAll(
      cp,
      render('pinned', namespace, { upstreamUrl: 'quay.io', service: { clusterIP: ip } }),
    );
    const service = stored.find(
      (o) => o.kind === 'Service' && o.metadata.name === 'registry-mirror-pinned',
    ) as Loose;
    assert.equal(service.spec.clusterIP, ip);
    const ds = stored.find((o) => o.kind === 'DaemonSet') as Loose;
    assert.equal(ds.spec.template.spec.containers[0].env[0].value, ip);
  });

  it("accepts mirror-operator's examples once converted, with its DOCKER_CERTIFICATE_SECRET", async () => {
    const namespace = await cp.newNamespace('mirror-legacy');
    const settings = { ...DEFAULT_SETTINGS, registryMirror: { tlsSecretName: 'mirror-tls' } };
    for (const doc of parseAllDocuments(
      readFileSync('sample-repo/registry-mirror/mirror-operator.yaml', 'utf8'),
    )) {
      const legacy = doc.toJSON();
      const stored = await applyAll(
        cp,
        render(legacy.metadata.name, namespace, convertMirrorOperator(legacy), {
          apiVersion: 'k8s.osp.tech/v1',
          settings,
        }),
      );
      const sts = stored.find((o) => o.kind === 'StatefulSet') as Loose;
      assert.equal(sts.spec.replicas, 2);
      assert.equal(sts.spec.volumeClaimTemplates[0].spec.resources.requests.storage, '20Gi');
      assert.ok(sts.spec.template.spec.volumes.some((v: Loose) => v.secret?.secretName === 'mirror-tls'));
      const ds = stored.find((o) => o.kind === 'DaemonSet') as Loose;
      assert.deepEqual(
        ds.spec.template.spec.volumes.filter((v: Loose) => v.hostPath).map((v: Loose) => v.hostPath.path),
        ['/etc/hosts', '/etc/docker/certs.d', '/etc/containerd/certs.d'],
      );
    }
  });

  it('re-applying the same render changes nothing on the server', async () => {
    const namespace = await cp.newNamespace('mirror-noop');
    const objects = render('hub', namespace, { upstreamUrl: 'docker.io', tls: { secretName: 'tls' } });
    const first = await applyAll(cp, objects);
    const second = await applyAll(cp, objects);
    assert.deepEqual(
      second.map((o) => o.metadata.resourceVersion),
      first.map((o) => o.metadata.resourceVersion),
    );
  });
});
