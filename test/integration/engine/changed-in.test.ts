// Which commit last changed each manifest, on the real git server and API server: a commit that changes one
// manifest moves only that manifest's "changed in", the others keep the commit they were first seen in; a
// restart reads it back from the stored status; a manifest moved to another file counts as changed.
import assert from 'node:assert/strict';
import { type ManifestStatus, SYNC_STEPS, type SyncReport } from '../../../src/status/types.js';
import { type EngineHarness, prepullManifest, startEngine } from '../../support/engine-harness.js';

const byKey = (report: SyncReport) =>
  new Map<string, ManifestStatus>(report.manifests.map((m) => [m.key.split('/').pop()!, m]));

describe('the commit that last changed each manifest', () => {
  let h: EngineHarness;
  afterEach(async () => h?.close());

  it('moves with the manifest that changed and stays with the others, across a restart', async () => {
    h = await startEngine({
      'tools.yaml': prepullManifest('tools', { busybox: 'busybox:1.36' }),
      'web.yaml': prepullManifest('web', { nginx: 'nginx:1.27' }),
    });
    const first = await h.reconciler.sync('manual');
    const firstSha = first.commit!.sha;
    // Where the time went, step by step (also the metric image_gitops_sync_step_duration_seconds).
    assert.deepEqual(Object.keys(first.stepSeconds ?? {}), [...SYNC_STEPS]);
    for (const m of first.manifests) {
      assert.equal(m.changedIn?.sha, firstSha, m.key);
      assert.equal(m.changedIn?.firstSeen, true, 'met for the first time, not dated further back');
    }

    await h.git.commitFiles(
      h.repo,
      { 'web.yaml': prepullManifest('web', { nginx: 'nginx:1.28' }) },
      'nginx 1.28',
      {
        name: 'Ada Lovelace',
        email: 'ada@example.com',
      },
    );
    const second = byKey(await h.reconciler.sync('manual'));
    const secondSha = second.get('web')!.commit;
    assert.notEqual(secondSha, firstSha);
    assert.deepEqual(
      [
        second.get('web')?.changedIn?.sha,
        second.get('web')?.changedIn?.author,
        second.get('web')?.changedIn?.firstSeen,
      ],
      [secondSha, 'Ada Lovelace', undefined],
      'changed by this commit',
    );
    assert.equal(second.get('tools')?.changedIn?.sha, firstSha, 'untouched: still the first commit');

    // An unrelated commit, then a restart: the stored status says who changed what.
    await h.git.commitFiles(h.repo, { 'README.md': 'notes\n' }, 'docs only');
    const restarted = h.restart();
    const third = byKey(await restarted.sync('manual'));
    assert.equal(third.get('web')?.changedIn?.sha, secondSha);
    assert.equal(third.get('tools')?.changedIn?.sha, firstSha);

    // The same manifest moved to another file: its objects name another file, so it changed.
    await h.git.commitFiles(
      h.repo,
      { 'tools.yaml': null, 'ops/tools.yaml': prepullManifest('tools', { busybox: 'busybox:1.36' }) },
      'move tools',
    );
    const fourth = byKey(await restarted.sync('manual'));
    assert.equal(fourth.get('tools')?.changedIn?.sha, fourth.get('tools')?.commit);
    assert.equal(fourth.get('web')?.changedIn?.sha, secondSha);
  });
});
