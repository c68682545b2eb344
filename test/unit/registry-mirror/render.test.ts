import assert from 'node:assert/strict';
import { parse } from 'yaml';
import { DEFAULT_SETTINGS } from '../../../src/config/settings.js';
import type { KubeObject } from '../../../src/core/kube-object.js';
import { registryMirrorKind } from '../../../src/kinds/registry-mirror/index.js';
import type { RegistryMirrorSpec } from '../../../src/kinds/registry-mirror/types.js';
import type { RenderContext } from '../../../src/kinds/types.js';
import type { Manifest } from '../../../src/manifests/types.js';

// biome-ignore lint/suspicious/noExplicitAny: tests read nested fields of rendered and stored objects
type Loose = any;

const context: RenderContext = {
  namespace: 'mirrors',
  settings: DEFAULT_SETTINGS,
  commit: { sha: 'a'.repeat(40), author: 'test', date: '2026-01-01T00:00:00Z', message: 'test' },
  live: [],
  observed: undefined,
};

function manifest(spec: RegistryMirrorSpec, name = 'hub'): Manifest<RegistryMirrorSpec> {
  return {
    key: `RegistryMirror/${name}`,
    kind: 'RegistryMirror',
    name,
    spec,
    origin: { file: 'mirrors.yaml', line: 1, apiVersion: 'image-gitops.io/v1alpha1', kind: 'RegistryMirror' },
  };
}

function render(spec: RegistryMirrorSpec, name?: string): KubeObject[] {
  return registryMirrorKind.render(manifest(spec, name), context);
}

function find(objects: KubeObject[], kind: string, name: string): KubeObject & Loose {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
  assert.ok(
    found,
    `${kind} ${name} not rendered; got ${objects.map((o) => `${o.kind}/${o.metadata.name}`).join(', ')}`,
  );
  return found as KubeObject & Loose;
}

describe('RegistryMirror render', () => {
  it('gives the registry pod no Service-link variables: docker-registry reads every REGISTRY_* variable as its configuration', () => {
    const statefulSet = find(render({ upstreamUrl: 'docker.io' }), 'StatefulSet', 'registry-mirror-hub');
    // The mirror's own Service (registry-mirror-hub) would otherwise inject REGISTRY_MIRROR_HUB_* variables.
    assert.equal(statefulSet.spec.template.spec.enableServiceLinks, false);
  });

  it('names objects as mirror-operator did and labels them all mirror=<name>', () => {
    const objects = render({ upstreamUrl: 'docker.io' });
    assert.deepEqual(
      objects.map((o) => `${o.kind}/${o.metadata.name}`),
      [
        'ConfigMap/registry-mirror-hub-config',
        'Service/registry-mirror-hub',
        'Service/registry-mirror-hub-headless',
        'StatefulSet/registry-mirror-hub',
        'DaemonSet/registry-mirror-hub-utils',
      ],
    );
    for (const object of objects) {
      assert.equal(object.metadata.namespace, 'mirrors');
      assert.equal(object.metadata.labels?.mirror, 'hub');
    }
  });

  it('renders a pull-through cache config of the upstream with filesystem storage and health checks', () => {
    const configMap = find(render({ upstreamUrl: 'docker.io' }), 'ConfigMap', 'registry-mirror-hub-config');
    const config = parse(configMap.data['config.yml']);
    assert.deepEqual(config.proxy, { remoteurl: 'https://registry-1.docker.io' });
    assert.deepEqual(config.storage.filesystem, { rootdirectory: '/var/lib/registry' });
    assert.equal(config.http.addr, ':5000');
    assert.equal(config.http.tls, undefined);
    assert.equal(config.health.storagedriver.enabled, true);
    assert.doesNotMatch(configMap.data['config.yml'], /username|password/);
  });

  it('takes upstream credentials from the Secret by reference only', () => {
    const objects = render({
      upstreamUrl: 'quay.io',
      credentialsSecret: { name: 'quay-creds', passwordKey: 'token' },
    });
    const container = find(objects, 'StatefulSet', 'registry-mirror-hub').spec.template.spec.containers[0];
    assert.deepEqual(container.env, [
      {
        name: 'REGISTRY_PROXY_USERNAME',
        valueFrom: { secretKeyRef: { name: 'quay-creds', key: 'username' } },
      },
      { name: 'REGISTRY_PROXY_PASSWORD', valueFrom: { secretKeyRef: { name: 'quay-creds', key: 'token' } } },
    ]);
    assert.ok(!objects.some((o) => o.kind === 'Secret'));
  });

  it('runs the registry image non-root, read-only, seccomp RuntimeDefault, probed on /', () => {
    const sts = find(render({ upstreamUrl: 'docker.io' }), 'StatefulSet', 'registry-mirror-hub');
    const pod = sts.spec.template.spec;
    const container = pod.containers[0];
    assert.equal(container.image, DEFAULT_SETTINGS.images.registry);
    assert.deepEqual(pod.securityContext.seccompProfile, { type: 'RuntimeDefault' });
    assert.equal(pod.securityContext.runAsNonRoot, true);
    assert.equal(container.securityContext.readOnlyRootFilesystem, true);
    assert.equal(container.securityContext.allowPrivilegeEscalation, false);
    assert.deepEqual(container.readinessProbe.httpGet, { path: '/', port: 'registry', scheme: 'HTTP' });
    assert.deepEqual(container.livenessProbe.httpGet, { path: '/', port: 'registry', scheme: 'HTTP' });
    assert.ok(
      container.volumeMounts.some(
        (m: Loose) => m.name === 'image-store' && m.mountPath === '/var/lib/registry',
      ),
    );
    assert.deepEqual(container.resources, {
      requests: { cpu: '100m', memory: '128Mi' },
      limits: { memory: '512Mi' },
    });
    assert.equal(sts.spec.serviceName, 'registry-mirror-hub-headless');
  });

  it('claims storage of the configured size and class', () => {
    const sts = find(
      render({ upstreamUrl: 'docker.io', storage: { size: '50Gi', storageClassName: 'fast' } }),
      'StatefulSet',
      'registry-mirror-hub',
    );
    assert.deepEqual(sts.spec.volumeClaimTemplates, [
      {
        metadata: { name: 'image-store' },
        spec: {
          accessModes: ['ReadWriteOnce'],
          storageClassName: 'fast',
          resources: { requests: { storage: '50Gi' } },
        },
      },
    ]);
  });

  it("accepts mirror-operator's full volumeClaimTemplate and defaults its access mode", () => {
    const sts = find(
      render({
        upstreamUrl: 'docker.io',
        volumeClaimTemplate: { spec: { resources: { requests: { storage: '5Gi' } } } },
      }),
      'StatefulSet',
      'registry-mirror-hub',
    );
    assert.deepEqual(sts.spec.volumeClaimTemplates[0].spec, {
      resources: { requests: { storage: '5Gi' } },
      accessModes: ['ReadWriteOnce'],
    });
  });

  it('rolls the StatefulSet when the registry config changes', () => {
    const hash = (spec: RegistryMirrorSpec) =>
      find(render(spec), 'StatefulSet', 'registry-mirror-hub').spec.template.metadata.annotations[
        'image-gitops.io/config-hash'
      ];
    assert.equal(hash({ upstreamUrl: 'quay.io' }), hash({ upstreamUrl: 'quay.io' }));
    assert.notEqual(hash({ upstreamUrl: 'quay.io' }), hash({ upstreamUrl: 'ghcr.io' }));
    assert.notEqual(
      hash({ upstreamUrl: 'quay.io' }),
      hash({ upstreamUrl: 'quay.io', tls: { secretName: 'tls' } }),
    );
  });

  it('serves TLS from the certificate Secret on 443 when tls is set', () => {
    const objects = render({ upstreamUrl: 'quay.io', tls: { secretName: 'mirror-tls' } });
    const config = parse(find(objects, 'ConfigMap', 'registry-mirror-hub-config').data['config.yml']);
    assert.deepEqual(config.http.tls, {
      certificate: '/etc/registry/tls/tls.crt',
      key: '/etc/registry/tls/tls.key',
    });
    const pod = find(objects, 'StatefulSet', 'registry-mirror-hub').spec.template.spec;
    assert.ok(pod.volumes.some((v: Loose) => v.secret?.secretName === 'mirror-tls'));
    assert.equal(pod.containers[0].readinessProbe.httpGet.scheme, 'HTTPS');
    assert.equal(find(objects, 'Service', 'registry-mirror-hub').spec.ports[0].port, 443);
  });

  it('exposes the registry port through a ClusterIP Service and a headless Service selecting registry pods only', () => {
    const objects = render({ upstreamUrl: 'quay.io' });
    const service = find(objects, 'Service', 'registry-mirror-hub');
    const headless = find(objects, 'Service', 'registry-mirror-hub-headless');
    assert.deepEqual(service.spec.ports, [
      { name: 'registry', port: 5000, targetPort: 'registry', protocol: 'TCP' },
    ]);
    assert.equal(headless.spec.clusterIP, 'None');
    const sts = find(objects, 'StatefulSet', 'registry-mirror-hub');
    const ds = find(objects, 'DaemonSet', 'registry-mirror-hub-utils');
    const matches = (selector: Record<string, string>, labels: Record<string, string>) =>
      Object.entries(selector).every(([k, v]) => labels[k] === v);
    assert.ok(matches(service.spec.selector, sts.spec.template.metadata.labels));
    assert.ok(!matches(service.spec.selector, ds.spec.template.metadata.labels));
  });

  it('points nodes at the Service through a certs.d hostPath, with cleanup on stop', () => {
    const ds = find(render({ upstreamUrl: 'docker.io' }), 'DaemonSet', 'registry-mirror-hub-utils');
    const pod = ds.spec.template.spec;
    const container = pod.containers[0];
    assert.equal(container.image, DEFAULT_SETTINGS.images.shell);
    assert.deepEqual(pod.volumes, [
      { name: 'certs-d', hostPath: { path: '/etc/containerd/certs.d', type: 'DirectoryOrCreate' } },
    ]);
    assert.deepEqual(container.env[0], {
      name: 'MIRROR_ADDRESS',
      value: '$(REGISTRY_MIRROR_HUB_SERVICE_HOST)',
    });
    const script: string = container.command[2];
    assert.match(script, /dir="\$CERTS_DIR\/docker\.io"/);
    assert.match(script, /server = "https:\/\/registry-1\.docker\.io"/);
    assert.match(script, /\[host\."http:\/\/\$\{mirror_host\}:5000"\]/);
    assert.match(script, /trap .*cleanup; exit 0' TERM INT/);
    assert.match(container.lifecycle.preStop.exec.command[2], /\ncleanup\n$/);
    assert.deepEqual(pod.securityContext.seccompProfile, { type: 'RuntimeDefault' });
  });

  it('selects nodes by nodeSelector and tolerations and uses a pinned ClusterIP', () => {
    const ds = find(
      render({
        upstreamUrl: 'quay.io',
        service: { clusterIP: '10.96.0.50' },
        nodes: { nodeSelector: { pool: 'build' }, tolerations: [{ operator: 'Exists' }] },
      }),
      'DaemonSet',
      'registry-mirror-hub-utils',
    );
    assert.deepEqual(ds.spec.template.spec.nodeSelector, { pool: 'build' });
    assert.deepEqual(ds.spec.template.spec.tolerations, [{ operator: 'Exists' }]);
    assert.equal(ds.spec.template.spec.containers[0].env[0].value, '10.96.0.50');
  });

  it("masquerades mirror-<upstream> in /etc/hosts in mirror-operator's hosts mode", () => {
    const ds = find(
      render({ upstreamUrl: 'hub.docker.io', nodeConfig: 'hosts', tls: { secretName: 'hub-tls' } }),
      'DaemonSet',
      'registry-mirror-hub-utils',
    );
    const pod = ds.spec.template.spec;
    assert.deepEqual(pod.volumes[0], { name: 'etc-hosts', hostPath: { path: '/etc/hosts', type: 'File' } });
    assert.match(pod.containers[0].command[2], /'mirror-hub\.docker\.io'/);
    assert.match(pod.containers[0].command[2], /# BEGIN image-gitops RegistryMirror mirrors\/hub/);
  });

  it('renders no node DaemonSet with nodeConfig none', () => {
    assert.ok(!render({ upstreamUrl: 'quay.io', nodeConfig: 'none' }).some((o) => o.kind === 'DaemonSet'));
  });

  it('adds SS_DS_LABELS / SS_DS_TEMPLATE_LABELS equivalents without touching selectors', () => {
    const objects = render({
      upstreamUrl: 'quay.io',
      labels: { team: 'infra', mirror: 'other' },
      podLabels: { tier: 'cache' },
    });
    const plain = render({ upstreamUrl: 'quay.io' });
    const selectors = { StatefulSet: 'registry', DaemonSet: 'node-config' } as const;
    for (const [kind, component] of Object.entries(selectors)) {
      const object = objects.find((o) => o.kind === kind) as Loose;
      assert.equal(object.metadata.labels.team, 'infra');
      assert.equal(object.metadata.labels.mirror, 'hub');
      assert.equal(object.spec.template.metadata.labels.tier, 'cache');
      assert.equal(object.spec.template.metadata.labels.mirror, 'hub');
      // A selector is immutable: user labels never enter it, so it is what a mirror without them renders.
      const expected = { app: 'docker-registry', mirror: 'hub', component };
      assert.deepEqual(object.spec.selector, { matchLabels: expected }, `${kind} selector`);
      assert.deepEqual((plain.find((o) => o.kind === kind) as Loose).spec.selector, {
        matchLabels: expected,
      });
    }
    for (const service of objects.filter((o) => o.kind === 'Service') as Loose[]) {
      assert.deepEqual(service.spec.selector, {
        app: 'docker-registry',
        mirror: 'hub',
        component: 'registry',
      });
    }
  });

  it('reports an upstream with a path and storage given twice', () => {
    assert.deepEqual(
      registryMirrorKind
        .check?.({ upstreamUrl: 'https://quay.io/org', storage: {}, volumeClaimTemplate: { spec: {} } })
        .map((p) => p.field),
      ['/spec/upstreamUrl', '/spec/volumeClaimTemplate'],
    );
  });
});
