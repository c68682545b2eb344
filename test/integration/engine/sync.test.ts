import assert from 'node:assert/strict';
import { ANNOTATIONS, LABELS } from '../../../src/core/labels.js';
import { type EngineHarness, prepullManifest, startEngine } from '../../support/engine-harness.js';
import { containersOf, imagesOf } from '../../support/objects.js';

const DAEMONSET = { apiVersion: 'apps/v1', kind: 'DaemonSet' } as const;

describe('sync', () => {
  let h: EngineHarness;
  afterEach(async () => h?.close());

  it('applies every manifest and names its manifest, file and commit on each object', async () => {
    h = await startEngine({ 'prepull/tools.yaml': prepullManifest('tools', { busybox: 'busybox:1.36' }) });
    const report = await h.reconciler.sync('manual');
    assert.equal(report.result, 'Succeeded', JSON.stringify(report.error ?? report.manifests));
    const ds = await h.kube.get(DAEMONSET, h.namespace, 'tools');
    assert.ok(ds, 'DaemonSet created');
    assert.equal(ds.metadata.labels?.[LABELS.managedBy], 'image-gitops');
    assert.equal(ds.metadata.annotations?.[ANNOTATIONS.manifest], 'ImagePrepull/tools');
    assert.equal(ds.metadata.annotations?.[ANNOTATIONS.sourceFile], 'prepull/tools.yaml');
    assert.equal(ds.metadata.annotations?.[ANNOTATIONS.commit], report.commit?.sha);
    const status = report.manifests.find((m) => m.key === 'ImagePrepull/tools');
    assert.equal(status?.result, 'Applied');
    assert.equal(status?.author, 'Test Author');
  });

  it('applies a change pushed to the repo on the next sync', async () => {
    h = await startEngine({ 'tools.yaml': prepullManifest('tools', { busybox: 'busybox:1.36' }) });
    await h.reconciler.sync('manual');
    const sha = await h.git.commitFiles(
      h.repo,
      { 'tools.yaml': prepullManifest('tools', { busybox: 'busybox:1.37' }) },
      'bump busybox',
    );
    const report = await h.reconciler.sync('manual');
    assert.equal(report.commit?.sha, sha);
    const ds = await h.kube.get(DAEMONSET, h.namespace, 'tools');
    const images = imagesOf(ds);
    assert.ok(images.includes('busybox:1.37'), images.join());
    assert.equal(ds?.metadata.annotations?.[ANNOTATIONS.commit], sha);
  });

  it('makes no write and fetches no pack when the remote has no new commit', async () => {
    h = await startEngine({ 'tools.yaml': prepullManifest('tools', { busybox: 'busybox:1.36' }) });
    await h.reconciler.sync('manual');
    await h.reconciler.sync('manual'); // settles the stored status once
    const mark = h.auditMark();
    const gitBefore = h.git.requests.length;
    const report = await h.reconciler.sync('manual');
    assert.equal(report.result, 'NoChange');
    assert.equal(report.fetchSkipped, true);
    assert.deepEqual(h.writesSince(mark), []);
    const gitRequests = h.git.requests.slice(gitBefore);
    assert.ok(gitRequests.length > 0, 'the remote was asked for its refs');
    assert.deepEqual(
      gitRequests.filter((r) => r.method === 'POST'),
      [],
      'no upload-pack POST',
    );
  });

  it('makes no write after a restart either: what it applied is remembered in the cluster', async () => {
    h = await startEngine({ 'tools.yaml': prepullManifest('tools', { busybox: 'busybox:1.36' }) });
    await h.reconciler.sync('manual');
    await h.reconciler.sync('manual');
    const mark = h.auditMark();
    const report = await h.restart().sync('startup');
    assert.equal(report.result, 'NoChange');
    assert.deepEqual(h.writesSince(mark), []);
  });

  it('repairs drift: a deleted DaemonSet is re-created, an edited one restored', async () => {
    h = await startEngine({ 'tools.yaml': prepullManifest('tools', { busybox: 'busybox:1.36' }) });
    await h.reconciler.sync('manual');
    await h.cp.kubeApi.delete(DAEMONSET, h.namespace, 'tools');
    await h.reconciler.sync('manual');
    assert.ok(await h.kube.get(DAEMONSET, h.namespace, 'tools'), 're-created');

    const live = (await h.kube.get(DAEMONSET, h.namespace, 'tools'))!;
    const edited = structuredClone(live);
    containersOf(edited)[0]!.image = 'evil:latest';
    delete edited.metadata.managedFields;
    await h.cp.kubeApi.request('PUT', `/apis/apps/v1/namespaces/${h.namespace}/daemonsets/tools`, edited);
    const report = await h.reconciler.sync('manual');
    const restored = await h.kube.get(DAEMONSET, h.namespace, 'tools');
    assert.deepEqual(imagesOf(restored), ['busybox:1.36']);
    assert.equal(report.counts.applied, 1);
  });

  it('stores the status in the cluster and sends an Event when a manifest becomes invalid', async () => {
    h = await startEngine({ 'tools.yaml': prepullManifest('tools', { busybox: 'busybox:1.36' }) });
    await h.reconciler.sync('manual');
    await h.git.commitFiles(
      h.repo,
      { 'tools.yaml': prepullManifest('tools', { busybox: 'busybox:1.36' }).replace('images:', 'imagez:') },
      'typo',
    );
    await h.reconciler.sync('manual');
    const events = await h.kube.list({ apiVersion: 'v1', kind: 'Event' }, h.namespace);
    // The reason is the manifest's Ready condition's; the message says a retry cannot help (Stalled).
    const invalid = events.find((e) => e.reason === 'ValidationFailed');
    assert.ok(invalid, `events: ${events.map((e) => e.reason).join()}`);
    assert.match(String(invalid.message), /tools\.yaml:\d+:\d+ \/spec\/image/);
    assert.match(
      String(invalid.message),
      /\(Stalled: a retry cannot help: fix the manifest in Git and push\)/,
    );
  });
});
