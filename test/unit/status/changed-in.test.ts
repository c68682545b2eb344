// The commit that last changed a manifest: kept while the manifest's fingerprint holds, moved to the commit
// that changed it, marked first-seen when nothing was stored; a manifest that failed to load keeps what was
// stored. Also what the status page shows of it.
import assert from 'node:assert/strict';
import type { CommitInfo } from '../../../src/core/commit.js';
import type { Manifest } from '../../../src/manifests/types.js';
import { renderStatusPage } from '../../../src/server/page.js';
import { manifestFingerprint, withChangedIn } from '../../../src/status/changed-in.js';
import type { ManifestStatus } from '../../../src/status/types.js';

const commit = (sha: string, author: string): CommitInfo => ({
  sha,
  author,
  date: '2026-11-29',
  message: '',
});
const manifest = (name: string, spec: unknown, file = `${name}.yaml`): Manifest => ({
  key: `ImagePrepull/${name}`,
  kind: 'ImagePrepull',
  name,
  spec,
  origin: { file, line: 1, apiVersion: 'image-gitops.io/v1alpha1', kind: 'ImagePrepull' },
});
const status = (name: string, over: Partial<ManifestStatus> = {}): ManifestStatus => ({
  key: `ImagePrepull/${name}`,
  kind: 'ImagePrepull',
  name,
  file: `${name}.yaml`,
  line: 1,
  result: 'Unchanged',
  message: '',
  problems: [],
  objects: [],
  commit: 'c'.repeat(40),
  author: 'sync',
  health: 'Healthy',
  ...over,
});

describe('the commit that last changed a manifest', () => {
  const a = manifest('a', { images: [{ name: 'x', image: 'x:1' }] });
  const first = withChangedIn([status('a')], [a], [], commit('1111', 'Ada'));

  it('is this commit, first seen, for a manifest never stored', () => {
    assert.deepEqual(first[0]?.changedIn, {
      sha: '1111',
      author: 'Ada',
      date: '2026-11-29',
      fingerprint: manifestFingerprint(a),
      firstSeen: true,
    });
  });

  it('stays while the manifest is the same, and moves (not first seen) when a commit changes it', () => {
    const same = withChangedIn([status('a')], [a], first, commit('2222', 'Bob'));
    assert.equal(same[0]?.changedIn?.sha, '1111');
    const edited = manifest('a', { images: [{ name: 'x', image: 'x:2' }] });
    const moved = withChangedIn([status('a')], [edited], first, commit('3333', 'Cy'));
    assert.deepEqual(
      [moved[0]?.changedIn?.sha, moved[0]?.changedIn?.author, moved[0]?.changedIn?.firstSeen],
      ['3333', 'Cy', undefined],
    );
  });

  it('counts a move to another file as a change, and keeps what was stored for one that failed to load', () => {
    const elsewhere = manifest('a', a.spec, 'ops/a.yaml');
    assert.notEqual(manifestFingerprint(elsewhere), manifestFingerprint(a));
    const invalid = withChangedIn([status('a', { result: 'Invalid' })], [], first, commit('4444', 'Di'));
    assert.equal(invalid[0]?.changedIn?.sha, '1111');
  });

  it('is what the status page shows, linked at that commit', () => {
    const html = renderStatusPage(
      {
        history: [],
        leader: true,
        instance: 'default',
        namespace: 'image-gitops',
        stored: { manifests: first, commit: 'c'.repeat(40) },
      },
      { refreshSeconds: 0, sourceUrl: 'https://git.example/cfg/blob/{commit}/{path}#L{line}' },
    );
    assert.match(
      html,
      /first seen in <a class="mono" href="https:\/\/git\.example\/cfg\/blob\/1111\/a\.yaml#L1">1111<\/a> by Ada/,
    );
  });
});
