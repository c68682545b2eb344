// RegistryMirror through the engine on the real API server: mirror-operator's operator-wide settings read
// from the reconciler's environment reach the objects, and a password changed inside the credentials Secret
// rolls the registry (a hash in its pod template, never the password).
import assert from 'node:assert/strict';
import { CREDENTIALS_HASH_ANNOTATION } from '../../src/kinds/registry-mirror/render-registry.js';
import { type EngineHarness, prepullManifest, startEngine } from '../support/engine-harness.js';

// biome-ignore lint/suspicious/noExplicitAny: tests read nested fields of stored objects
type Loose = any;

const STS = { apiVersion: 'apps/v1', kind: 'StatefulSet' };
const DS = { apiVersion: 'apps/v1', kind: 'DaemonSet' };
const keeper = { 'keep.yaml': prepullManifest('keep', { busybox: 'busybox:1.36' }) };
const LABELLED = { 'image-gitops.io/usable-by-manifests': 'true' };

describe('RegistryMirror parity with mirror-operator, through the engine', function () {
  this.timeout(120_000);
  let h: EngineHarness | undefined;
  afterEach(async () => h?.close());

  it("takes mirror-operator's environment (DOCKER_CERTIFICATE_SECRET, SS_DS_*, IMAGE_PULL_SECRETS) for its files", async () => {
    const mirror =
      'apiVersion: k8s.osp.tech/v1\nkind: RegistryMirror\nmetadata:\n  name: hub\nspec:\n  upstreamUrl: hub.docker.io\n';
    h = await startEngine(
      { ...keeper, 'mirror.yaml': mirror },
      {
        DOCKER_CERTIFICATE_SECRET: 'mirror-tls',
        SS_DS_LABELS: "{'team': 'infra'}",
        SS_DS_TEMPLATE_LABELS: "{'scrape': 'yes'}",
        SS_DS_TOLERATIONS:
          "[{'key': 'dedicated', 'operator': 'Equal', 'value': 'mirror', 'effect': 'NoSchedule'}]",
        IMAGE_PULL_SECRETS: 'hub-pull',
      },
    );
    for (const name of ['mirror-tls', 'hub-pull'])
      await h.cp.kubeApi.apply({
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name, namespace: h.namespace, labels: LABELLED },
        stringData: { 'tls.crt': 'cert', 'tls.key': 'key' },
      } as Loose);
    const report = await h.reconciler.sync('manual');
    const status = report.manifests.find((m) => m.key === 'RegistryMirror/hub');
    assert.equal(status?.result, 'Applied', JSON.stringify(status));
    const toleration = { key: 'dedicated', operator: 'Equal', value: 'mirror', effect: 'NoSchedule' };
    for (const [type, name] of [
      [STS, 'registry-mirror-hub'],
      [DS, 'registry-mirror-hub-utils'],
    ] as const) {
      const object = (await h.kube.get(type, h.namespace, name)) as Loose;
      assert.equal(object.metadata.labels.team, 'infra', name);
      assert.equal(object.spec.template.metadata.labels.scrape, 'yes', name);
      assert.deepEqual(object.spec.template.spec.tolerations, [toleration], name);
      assert.deepEqual(object.spec.template.spec.imagePullSecrets, [{ name: 'hub-pull' }], name);
      assert.ok(
        object.spec.template.spec.volumes.some((v: Loose) => v.secret?.secretName === 'mirror-tls'),
        name,
      );
    }
  });

  it('rolls the registry when the password inside its credentials Secret changes', async () => {
    const mirror = `apiVersion: image-gitops.io/v1alpha1
kind: RegistryMirror
metadata:
  name: corp
spec:
  upstreamUrl: registry.example.com
  credentialsSecret: corp-creds
`;
    h = await startEngine({ ...keeper, 'mirror.yaml': mirror });
    const secret = (password: string) =>
      ({
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'corp-creds', namespace: h!.namespace, labels: LABELLED },
        stringData: { username: 'robot', password },
      }) as Loose;
    await h.cp.kubeApi.apply(secret('first-password'));
    await h.reconciler.sync('manual');
    const hashOf = async () =>
      ((await h!.kube.get(STS, h!.namespace, 'registry-mirror-corp')) as Loose).spec.template.metadata
        .annotations[CREDENTIALS_HASH_ANNOTATION];
    const first = await hashOf();
    assert.match(first, /^[0-9a-f]{16}$/);

    const unchanged = await h.reconciler.sync('schedule');
    assert.equal(unchanged.counts.applied, 0, 'the same password: nothing to apply');

    await h.cp.kubeApi.apply(secret('second-password'));
    const rolled = await h.reconciler.sync('schedule');
    assert.equal(rolled.counts.applied, 1, JSON.stringify(rolled.manifests.map((m) => m.message)));
    const second = await hashOf();
    assert.notEqual(second, first);
    const stored = JSON.stringify(await h.kube.get(STS, h.namespace, 'registry-mirror-corp'));
    assert.ok(
      !stored.includes('second-password') &&
        !stored.includes(Buffer.from('second-password').toString('base64')),
    );
  });
});
