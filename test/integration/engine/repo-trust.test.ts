// What a config repo may not do, through the engine on the real API server: use Secrets not meant for
// manifests (the reconciler's own git credentials first), have two manifests render one object, take over
// an object this instance did not create (and later delete it).
import assert from 'node:assert/strict';
import { LABELS, USABLE_BY_MANIFESTS_LABEL } from '../../../src/core/labels.js';
import { ADOPT_ANNOTATION } from '../../../src/plan/plan.js';
import { type EngineHarness, prepullManifest, startEngine } from '../../support/engine-harness.js';
import { imagesOf } from '../../support/objects.js';

const DAEMONSET = { apiVersion: 'apps/v1', kind: 'DaemonSet' } as const;
const STATEFULSET = { apiVersion: 'apps/v1', kind: 'StatefulSet' } as const;
const CONFIGMAP = { apiVersion: 'v1', kind: 'ConfigMap' } as const;
const GIT_TOKEN = 'git-token-of-the-reconciler';

function mirrorManifest(name: string, secret: string): string {
  return `apiVersion: image-gitops.io/v1alpha1
kind: RegistryMirror
metadata:
  name: ${name}
spec:
  upstreamUrl: registry.example.com
  credentialsSecret: ${secret}
  nodeConfig: none
`;
}

function imageSyncManifest(name: string, secret: string): string {
  return `apiVersion: image-gitops.io/v1alpha1
kind: ImageSync
metadata:
  name: ${name}
spec:
  source:
    image: 127.0.0.1:9/team/app
    tag: v1
  destination:
    image: 127.0.0.1:9/mirror/app
  registries:
    - host: 127.0.0.1:9
      tlsVerify: false
      credentialsSecret: ${secret}
`;
}

async function secret(h: EngineHarness, name: string, labels: Record<string, string> = {}): Promise<void> {
  await h.cp.kubeApi.apply({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace: h.namespace, labels },
    stringData: { username: 'reconciler', password: GIT_TOKEN },
  });
}

const usable = { [USABLE_BY_MANIFESTS_LABEL]: 'true' };

describe('a config repo may use only the Secrets meant for manifests', () => {
  let h: EngineHarness;
  afterEach(async () => h?.close());

  it("refuses the reconciler's own git credentials, even labelled, as the manifest's error, and sends them nowhere", async () => {
    h = await startEngine({
      'mirror/steal.yaml': mirrorManifest('steal', 'image-gitops-git-credentials'),
      'sync/steal.yaml': imageSyncManifest('steal-sync', 'image-gitops-git-credentials'),
      'keep.yaml': prepullManifest('keep', { busybox: 'busybox:1.36' }),
    });
    await secret(h, 'image-gitops-git-credentials', usable);
    const report = await h.reconciler.sync('manual');
    for (const [key, file, line, field] of [
      ['RegistryMirror/steal', 'mirror/steal.yaml', 7, '/spec/credentialsSecret'],
      ['ImageSync/steal-sync', 'sync/steal.yaml', 14, '/spec/registries/0/credentialsSecret'],
    ] as const) {
      const m = report.manifests.find((s) => s.key === key);
      assert.equal(m?.result, 'Failed', JSON.stringify(m));
      const problem = m?.problems[0];
      assert.equal(problem?.code, 'SECRET_REFUSED');
      assert.match(problem?.message ?? '', /reconciler's own Secrets/);
      assert.deepEqual(
        { file: problem?.location?.file, line: problem?.location?.line, field: problem?.location?.field },
        { file, line, field },
      );
    }
    assert.doesNotMatch(JSON.stringify(report), new RegExp(GIT_TOKEN));
    assert.equal(await h.kube.get(STATEFULSET, h.namespace, 'registry-mirror-steal'), undefined);
    const secrets = await h.kube.list({ apiVersion: 'v1', kind: 'Secret' }, h.namespace);
    assert.deepEqual(
      secrets.map((s) => s.metadata.name),
      ['image-gitops-git-credentials'],
      'no Job Secret holds a copy',
    );
    assert.equal(report.manifests.find((s) => s.key === 'ImagePrepull/keep')?.result, 'Applied');
  });

  it('refuses an unlabelled Secret and accepts it once labelled', async () => {
    h = await startEngine({ 'mirror/m.yaml': mirrorManifest('m', 'upstream-creds') });
    await secret(h, 'upstream-creds');
    const refused = await h.reconciler.sync('manual');
    const m = refused.manifests.find((s) => s.key === 'RegistryMirror/m');
    assert.equal(m?.problems[0]?.code, 'SECRET_REFUSED', JSON.stringify(m));
    assert.match(m?.problems[0]?.message ?? '', /not labelled image-gitops\.io\/usable-by-manifests/);
    assert.equal(await h.kube.get(STATEFULSET, h.namespace, 'registry-mirror-m'), undefined);

    await secret(h, 'upstream-creds', usable);
    const accepted = await h.reconciler.sync('manual');
    assert.equal(accepted.manifests.find((s) => s.key === 'RegistryMirror/m')?.result, 'Applied');
    assert.ok(await h.kube.get(STATEFULSET, h.namespace, 'registry-mirror-m'));
  });

  it('refuses a labelled Secret outside MANIFEST_SECRET_NAMESPACES', async () => {
    h = await startEngine(
      { 'mirror/m.yaml': mirrorManifest('m', 'upstream-creds') },
      { MANIFEST_SECRET_NAMESPACES: 'registry-secrets' },
    );
    await secret(h, 'upstream-creds', usable);
    const report = await h.reconciler.sync('manual');
    const m = report.manifests.find((s) => s.key === 'RegistryMirror/m');
    assert.equal(m?.problems[0]?.code, 'SECRET_REFUSED');
    assert.match(m?.problems[0]?.message ?? '', /only in the namespaces registry-secrets/);
  });
});

describe('two manifests for one object', () => {
  let h: EngineHarness;
  afterEach(async () => h?.close());

  it('fails the later file when one leaves the namespace implicit and the other writes it out; the first keeps applying', async () => {
    h = await startEngine({ 'a.yaml': prepullManifest('tools', { busybox: 'busybox:1.36' }) });
    const explicit = prepullManifest('tools', { busybox: 'busybox:1.37' }).replace(
      '  name: tools\n',
      `  name: tools\n  namespace: ${h.namespace}\n`,
    );
    await h.git.commitFiles(h.repo, { 'b.yaml': explicit }, 'same DaemonSet, namespace written out');
    const first = await h.reconciler.sync('manual');
    const later = first.manifests.find((m) => m.file === 'b.yaml');
    assert.equal(later?.result, 'Invalid');
    assert.equal(later?.problems[0]?.code, 'DUPLICATE_MANIFEST');
    assert.match(
      later?.problems[0]?.message ?? '',
      /ImagePrepull\/engine-[^/]+\/tools is ImagePrepull\/tools at a\.yaml:1 once the namespace is filled in/,
    );
    assert.deepEqual(
      { file: later?.problems[0]?.location?.file, line: later?.problems[0]?.location?.line },
      { file: 'b.yaml', line: 5 },
    );
    assert.equal(first.manifests.find((m) => m.file === 'a.yaml')?.result, 'Applied');
    assert.deepEqual(imagesOf(await h.kube.get(DAEMONSET, h.namespace, 'tools')), ['busybox:1.36']);

    // No flip-flop: the next syncs write nothing to the DaemonSet.
    await h.reconciler.sync('manual');
    const mark = h.auditMark();
    const again = await h.reconciler.sync('manual');
    assert.equal(again.counts.applied, 0);
    assert.deepEqual(
      h.writesSince(mark).filter((w) => w.uri.includes('daemonsets')),
      [],
    );
    assert.deepEqual(imagesOf(await h.kube.get(DAEMONSET, h.namespace, 'tools')), ['busybox:1.36']);
  });
});

describe('two manifests of different kinds rendering one object', () => {
  let h: EngineHarness;
  afterEach(async () => h?.close());

  it('fails the later one by its rendered objects, naming both files', async () => {
    const puller = `apiVersion: image-gitops.io/v1alpha1
kind: KubernetesImagePuller
metadata:
  name: puller
data:
  IMAGES: "busybox=busybox:1.37"
  DAEMONSET_NAME: tools
`;
    h = await startEngine({
      'a.yaml': prepullManifest('tools', { busybox: 'busybox:1.36' }),
      'z.yaml': puller,
    });
    const report = await h.reconciler.sync('manual');
    const later = report.manifests.find((m) => m.file === 'z.yaml');
    assert.equal(later?.result, 'Failed', JSON.stringify(later));
    assert.equal(later?.problems[0]?.code, 'DUPLICATE_OBJECT');
    assert.match(
      later?.problems[0]?.message ?? '',
      /ImagePrepull\/puller renders DaemonSet .*\/tools, which ImagePrepull\/tools in a\.yaml:1 already renders/,
    );
    assert.deepEqual(
      { file: later?.problems[0]?.location?.file, line: later?.problems[0]?.location?.line },
      { file: 'z.yaml', line: 4 },
    );
    assert.equal(report.manifests.find((m) => m.file === 'a.yaml')?.result, 'Applied');
    assert.deepEqual(imagesOf(await h.kube.get(DAEMONSET, h.namespace, 'tools')), ['busybox:1.36']);
    const mark = h.auditMark();
    await h.reconciler.sync('manual');
    await h.reconciler.sync('manual');
    assert.deepEqual(
      h.writesSince(mark).filter((w) => w.uri.includes('daemonsets')),
      [],
      'no flip-flop',
    );
  });
});

describe("other people's objects", () => {
  let h: EngineHarness;
  afterEach(async () => h?.close());

  it('does not take over an existing DaemonSet of the same name, and does not delete it when the manifest leaves', async () => {
    h = await startEngine({ 'keep.yaml': prepullManifest('keep', { busybox: 'busybox:1.36' }) });
    await h.cp.kubeApi.apply(theirDaemonSet(h.namespace, 'tools'));
    await h.git.commitFiles(
      h.repo,
      { 'tools.yaml': prepullManifest('tools', { busybox: 'busybox:1.37' }) },
      'add',
    );
    const report = await h.reconciler.sync('manual');
    const m = report.manifests.find((s) => s.key === 'ImagePrepull/tools');
    assert.equal(m?.result, 'Failed');
    assert.equal(m?.problems[0]?.code, 'OBJECT_CONFLICT');
    assert.match(
      m?.problems[0]?.message ?? '',
      /DaemonSet .*\/tools already exists and was not created by image-gitops/,
    );
    assert.equal(m?.problems[0]?.location?.file, 'tools.yaml');
    const ds = await h.kube.get(DAEMONSET, h.namespace, 'tools');
    assert.deepEqual(imagesOf(ds), ['their/app:1'], 'left as it is');
    assert.equal(ds?.metadata.labels?.[LABELS.managedBy], undefined);

    await h.git.commitFiles(h.repo, { 'tools.yaml': null }, 'remove');
    await h.reconciler.sync('manual');
    assert.deepEqual(
      imagesOf(await h.kube.get(DAEMONSET, h.namespace, 'tools')),
      ['their/app:1'],
      'not deleted',
    );
  });

  it('adopts an object its owner annotated, and never deletes it afterwards', async () => {
    h = await startEngine({ 'keep.yaml': prepullManifest('keep', { busybox: 'busybox:1.36' }) });
    await h.cp.kubeApi.apply({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'registry-mirror-m-config', namespace: h.namespace },
      data: { owner: 'theirs' },
    });
    await h.git.commitFiles(
      h.repo,
      { 'm.yaml': mirrorManifest('m', 'x').replace(/ {2}credentialsSecret: x\n/, '') },
      'add',
    );
    const refused = await h.reconciler.sync('manual');
    assert.equal(
      refused.manifests.find((s) => s.key === 'RegistryMirror/m')?.problems[0]?.code,
      'OBJECT_CONFLICT',
    );
    assert.equal(
      await h.kube.get(STATEFULSET, h.namespace, 'registry-mirror-m'),
      undefined,
      'nothing of it applied',
    );
    assert.deepEqual((await h.kube.get(CONFIGMAP, h.namespace, 'registry-mirror-m-config'))?.data, {
      owner: 'theirs',
    });

    await h.cp.kubeApi.apply({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name: 'registry-mirror-m-config',
        namespace: h.namespace,
        annotations: { [ADOPT_ANNOTATION]: 'true' },
      },
      data: { owner: 'theirs' },
    });
    const adopted = await h.reconciler.sync('manual');
    assert.equal(adopted.manifests.find((s) => s.key === 'RegistryMirror/m')?.result, 'Applied');
    assert.ok(await h.kube.get(STATEFULSET, h.namespace, 'registry-mirror-m'));

    await h.git.commitFiles(h.repo, { 'm.yaml': null }, 'remove');
    const removed = await h.reconciler.run('manual', { allowMassPrune: true });
    assert.equal(
      await h.kube.get(STATEFULSET, h.namespace, 'registry-mirror-m'),
      undefined,
      'what it created is pruned',
    );
    assert.ok(
      await h.kube.get(CONFIGMAP, h.namespace, 'registry-mirror-m-config'),
      'what it adopted is kept',
    );
    const left = removed.report.manifests.find((s) => s.key === 'RegistryMirror/m');
    assert.match(JSON.stringify(left?.objects), /adopted/);
  });
});

function theirDaemonSet(namespace: string, name: string) {
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name, namespace },
    spec: {
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { containers: [{ name: 'app', image: 'their/app:1' }] },
      },
    },
  };
}
