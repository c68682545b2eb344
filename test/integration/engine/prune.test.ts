import assert from 'node:assert/strict';
import { StatusStore } from '../../../src/status/store.js';
import { type EngineHarness, prepullManifest, startEngine } from '../../support/engine-harness.js';

const DAEMONSET = { apiVersion: 'apps/v1', kind: 'DaemonSet' } as const;

const threeManifests = {
  'a.yaml': prepullManifest('a', { busybox: 'busybox:1.36' }),
  'b.yaml': prepullManifest('b', { busybox: 'busybox:1.36' }),
  'c.yaml': prepullManifest('c', { busybox: 'busybox:1.36' }),
};

describe('prune', () => {
  let h: EngineHarness;
  afterEach(async () => h?.close());

  it('deletes the objects of a manifest removed from Git', async () => {
    h = await startEngine(threeManifests);
    await h.reconciler.sync('manual');
    await h.git.commitFiles(h.repo, { 'c.yaml': null }, 'drop c');
    const report = await h.reconciler.sync('manual');
    assert.equal(report.counts.pruned, 1);
    assert.equal(await h.kube.get(DAEMONSET, h.namespace, 'c'), undefined);
    assert.ok(await h.kube.get(DAEMONSET, h.namespace, 'a'));
  });

  it('keeps the objects of a manifest that fails validation', async () => {
    h = await startEngine(threeManifests);
    await h.reconciler.sync('manual');
    await h.git.commitFiles(
      h.repo,
      { 'c.yaml': prepullManifest('c', { busybox: 'busybox:1.36' }).replace('spec:', 'spec:\n  bogus: 1') },
      'break c',
    );
    const report = await h.reconciler.sync('manual');
    assert.ok(await h.kube.get(DAEMONSET, h.namespace, 'c'), 'kept');
    const c = report.manifests.find((m) => m.key === 'ImagePrepull/c');
    assert.equal(c?.result, 'Invalid');
    assert.match(c?.problems[0]?.message ?? '', /unknown field "bogus"/);
    assert.equal(c?.problems[0]?.location?.file, 'c.yaml');
    assert.equal(c?.problems[0]?.location?.line, 6);
    assert.equal(report.counts.pruned, 0);
    assert.deepEqual(
      c?.objects.map((o) => o.outcome),
      ['kept'],
    );
  });

  it('keeps the objects of a file that is no longer valid YAML', async () => {
    h = await startEngine(threeManifests);
    await h.reconciler.sync('manual');
    await h.git.commitFiles(h.repo, { 'c.yaml': 'apiVersion: [unclosed\n' }, 'garble c');
    const report = await h.reconciler.sync('manual');
    assert.ok(await h.kube.get(DAEMONSET, h.namespace, 'c'), 'kept');
    assert.equal(report.fileProblems[0]?.code, 'YAML_PARSE');
    assert.equal(report.fileProblems[0]?.location?.file, 'c.yaml');
  });

  it('prunes nothing when the repo is emptied, unless the mass prune is allowed', async () => {
    h = await startEngine(threeManifests);
    await h.reconciler.sync('manual');
    await h.git.commitFiles(
      h.repo,
      { 'a.yaml': null, 'b.yaml': null, 'c.yaml': null, 'README.md': 'emptied' },
      'empty',
    );
    const refused = await h.reconciler.sync('manual');
    assert.equal(refused.error?.code, 'PRUNE_REFUSED');
    assert.deepEqual(refused.pruneRefused, { wouldDelete: 3, owned: 3, maxShare: 0.5 });
    for (const name of ['a', 'b', 'c'])
      assert.ok(await h.kube.get(DAEMONSET, h.namespace, name), `${name} kept`);

    const allowed = await h.reconciler.run('manual', { allowMassPrune: true });
    assert.equal(allowed.report.counts.pruned, 3);
    for (const name of ['a', 'b', 'c'])
      assert.equal(await h.kube.get(DAEMONSET, h.namespace, name), undefined);
  });

  it('keeps everything applied when the git server is down, and says why', async () => {
    h = await startEngine(threeManifests);
    await h.reconciler.sync('manual');
    h.git.failNext(1, 500); // one sync asks for the refs once: it fails, the next one succeeds
    const report = await h.reconciler.sync('schedule');
    assert.equal(report.result, 'Failed');
    assert.equal(report.error?.code, 'GIT_FETCH');
    assert.match(report.error?.message ?? '', /500/);
    for (const name of ['a', 'b', 'c']) assert.ok(await h.kube.get(DAEMONSET, h.namespace, name));
    const store = new StatusStore(h.kube, h.namespace, h.config.settings.instance);
    const stale = await store.load();
    assert.match(stale?.sourceError?.message ?? '', /git list refs .* failed: .*500/);
    assert.equal(stale?.manifests.length, 3, 'the last good status is still there');

    const recovered = await h.reconciler.sync('schedule');
    assert.equal(recovered.result, 'NoChange');
    assert.equal((await store.load())?.sourceError, undefined, 'no longer stale');
  });
});
