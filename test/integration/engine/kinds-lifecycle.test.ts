// Every cluster-side kind through the engine on the real API server: its objects are accepted, drift is
// repaired (an object deleted behind our back comes back), and removing the manifest prunes them all.
import assert from 'node:assert/strict';
import type { ObjectType } from '../../../src/core/kube-object.js';
import { LABELS } from '../../../src/core/labels.js';
import { manifestId } from '../../../src/render/stamp.js';
import { type EngineHarness, prepullManifest, startEngine } from '../../support/engine-harness.js';
import { pushTestImage } from '../../support/oci-image.js';
import { startRegistry, type TestRegistry } from '../../support/registry.js';

const TYPES: ObjectType[] = [
  { apiVersion: 'v1', kind: 'ConfigMap' },
  { apiVersion: 'v1', kind: 'Secret' },
  { apiVersion: 'v1', kind: 'Service' },
  { apiVersion: 'apps/v1', kind: 'StatefulSet' },
  { apiVersion: 'apps/v1', kind: 'DaemonSet' },
  { apiVersion: 'batch/v1', kind: 'Job' },
];

/** The objects one manifest owns, found by its label. */
async function ownedBy(h: EngineHarness, manifestKey: string): Promise<string[]> {
  const names: string[] = [];
  for (const type of TYPES) {
    for (const o of await h.kube.list(type, h.namespace, `${LABELS.manifestId}=${manifestId(manifestKey)}`)) {
      names.push(`${o.kind}/${o.metadata.name}`);
    }
  }
  return names.sort();
}

/** Sync, delete one object behind the engine's back, sync again, then remove the manifest and sync. */
async function lifecycle(h: EngineHarness, key: string, file: string, victim: ObjectType): Promise<string[]> {
  const first = await h.reconciler.sync('manual');
  assert.equal(
    first.manifests.find((m) => m.key === key)?.result,
    'Applied',
    JSON.stringify(first.manifests),
  );
  const objects = await ownedBy(h, key);
  assert.ok(objects.length > 0);

  const target = objects.find((o) => o.startsWith(`${victim.kind}/`))!.split('/')[1]!;
  await h.cp.kubeApi.delete(victim, h.namespace, target, { propagationPolicy: 'Background' });
  const repaired = await h.reconciler.sync('schedule');
  assert.equal(repaired.counts.applied, 1, `only the deleted ${victim.kind} is applied again`);
  assert.deepEqual(await ownedBy(h, key), objects);

  await h.git.commitFiles(h.repo, { [file]: null }, `remove ${key}`);
  const pruned = await h.reconciler.sync('schedule');
  assert.equal(pruned.counts.pruned, objects.length, JSON.stringify(pruned.error ?? pruned.pruneRefused));
  assert.deepEqual(await ownedBy(h, key), [], 'nothing of it is left');
  return objects;
}

// A manifest that stays, so that removing the other is an ordinary prune, not an emptied repo.
const keeper = { 'keep.yaml': prepullManifest('keep', { busybox: 'busybox:1.36' }) };

describe('each cluster-side kind through the engine: accepted, drift repaired, pruned clean', () => {
  let h: EngineHarness;
  afterEach(async () => h?.close());

  it('RegistryMirror (mirror-operator format): StatefulSet, Services, config and node DaemonSet', async () => {
    const mirror =
      'apiVersion: k8s.osp.tech/v1\nkind: RegistryMirror\nmetadata:\n  name: hub\nspec:\n  upstreamUrl: hub.docker.io\n';
    // As mirror-operator required it: the certificate its hostess mode serves, named by the operator.
    h = await startEngine(
      { ...keeper, 'mirror.yaml': mirror },
      { MAX_PRUNE_SHARE: '0.9', DOCKER_CERTIFICATE_SECRET: 'mirror-tls' },
    );
    await h.cp.kubeApi.apply({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: {
        name: 'mirror-tls',
        namespace: h.namespace,
        labels: { 'image-gitops.io/usable-by-manifests': 'true' },
      },
      type: 'kubernetes.io/tls',
      stringData: { 'tls.crt': 'cert', 'tls.key': 'key' },
    });
    const objects = await lifecycle(h, 'RegistryMirror/hub', 'mirror.yaml', {
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
    });
    assert.deepEqual(objects, [
      'ConfigMap/registry-mirror-hub-config',
      'DaemonSet/registry-mirror-hub-utils',
      'Service/registry-mirror-hub',
      'Service/registry-mirror-hub-headless',
      'StatefulSet/registry-mirror-hub',
    ]);
  });

  it('ImagePrepull (kubernetes-image-puller settings): the DaemonSet', async () => {
    const puller = `apiVersion: image-gitops.io/v1alpha1
kind: KubernetesImagePuller
metadata:
  name: puller
data:
  IMAGES: "java=docker.io/library/eclipse-temurin:21;node=docker.io/library/node:20"
  DAEMONSET_NAME: workspace-puller
`;
    h = await startEngine({ ...keeper, 'puller.yaml': puller }, { MAX_PRUNE_SHARE: '0.9' });
    const objects = await lifecycle(h, 'ImagePrepull/puller', 'puller.yaml', {
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
    });
    assert.deepEqual(
      objects.filter((o) => o.includes('workspace-puller')),
      ['DaemonSet/workspace-puller'],
    );
  });

  describe('ImageBackup', () => {
    let registry: TestRegistry;
    before(async () => {
      registry = await startRegistry();
      await pushTestImage(registry, 'library/app', '1.0');
    });
    after(async () => registry?.stop());

    it('the backup Jobs of the workloads it finds', async () => {
      h = await startEngine(keeper, { MAX_PRUNE_SHARE: '0.9' });
      await h.cp.kubeApi.apply({
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'app', namespace: h.namespace },
        spec: {
          selector: { matchLabels: { app: 'app' } },
          template: {
            metadata: { labels: { app: 'app' } },
            spec: { containers: [{ name: 'app', image: `${registry.host}/library/app:1.0` }] },
          },
        },
      });
      const backup = `apiVersion: image-gitops.io/v1alpha1
kind: ImageBackup
metadata:
  name: backup
spec:
  backupRegistry: ${registry.host}/backup
  namespaces: [${h.namespace}]
  registries:
    - host: ${registry.host}
      tlsVerify: false
`;
      await h.git.commitFiles(h.repo, { 'backup.yaml': backup }, 'add backup');
      const objects = await lifecycle(h, 'ImageBackup/backup', 'backup.yaml', {
        apiVersion: 'batch/v1',
        kind: 'Job',
      });
      assert.ok(
        objects.some((o) => o.startsWith('Job/')),
        objects.join(),
      );
    });
  });
});
