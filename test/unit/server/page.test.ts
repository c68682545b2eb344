import assert from 'node:assert/strict';
import { escapeHtml, matches, renderStatusPage, sourceLink } from '../../../src/server/page.js';
import type { ManifestStatus } from '../../../src/status/types.js';

const manifest = (over: Partial<ManifestStatus>): ManifestStatus => ({
  key: 'ImageSync/argocd',
  kind: 'ImageSync',
  name: 'argocd',
  file: 'sync/argo cd.yaml',
  line: 3,
  result: 'Applied',
  message: '',
  problems: [],
  objects: [],
  commit: 'a'.repeat(40),
  author: 'Ada',
  health: 'Healthy',
  ...over,
});

describe('status page rendering', () => {
  it('links a file at a commit through the GitHub, GitLab and Gitea templates, path segments encoded', () => {
    const sha = 'b'.repeat(40);
    assert.equal(
      sourceLink('https://github.com/org/cfg/blob/{commit}/{path}#L{line}', sha, 'sync/argo cd.yaml', 7),
      `https://github.com/org/cfg/blob/${sha}/sync/argo%20cd.yaml#L7`,
    );
    assert.equal(
      sourceLink('https://gitlab.com/org/cfg/-/blob/{commit}/{path}#L{line}', sha, 'a.yaml', 2),
      `https://gitlab.com/org/cfg/-/blob/${sha}/a.yaml#L2`,
    );
    assert.equal(
      sourceLink('https://gitea.example/org/cfg/src/commit/{commit}/{path}#L{line}', sha, 'a#b.yaml'),
      `https://gitea.example/org/cfg/src/commit/${sha}/a%23b.yaml#L1`,
    );
    assert.equal(sourceLink(undefined, sha, 'a.yaml', 1), undefined);
  });

  it('filters by kind, result (failing = Invalid or Failed) and text', () => {
    const failed = manifest({ result: 'Failed', message: 'registry unreachable' });
    assert.equal(matches(failed, { result: 'failing' }), true);
    assert.equal(matches(manifest({}), { result: 'failing' }), false);
    assert.equal(matches(failed, { kind: 'ImageBuild' }), false);
    assert.equal(matches(failed, { q: 'UNREACHABLE' }), true);
    assert.equal(matches(failed, { q: 'nowhere' }), false);
  });

  it('escapes markup and masks URL credentials in what the repo and registries wrote', () => {
    assert.equal(escapeHtml(`<a href="x">'&`), '&lt;a href=&quot;x&quot;&gt;&#39;&amp;');
    const html = renderStatusPage(
      {
        history: [],
        leader: true,
        instance: 'default',
        namespace: 'image-gitops',
        report: {
          startedAt: '',
          finishedAt: '',
          durationSeconds: 1,
          trigger: 'manual',
          result: 'PartiallyFailed',
          fetchSkipped: false,
          manifests: [
            manifest({ result: 'Failed', message: 'GET https://robot:s3cret@registry.example/v2/ <b>' }),
          ],
          fileProblems: [],
          counts: { applied: 0, unchanged: 0, pruned: 0, failed: 1, kept: 0 },
          appliedByKind: {},
          prunedByKind: {},
        },
      },
      { refreshSeconds: 0 },
    );
    assert.doesNotMatch(html, /s3cret|<b>|http-equiv="refresh"/);
    assert.match(html, /https:\/\/\[redacted\]@registry\.example\/v2\/ &lt;b&gt;/);
  });

  it('shows what a kind did to images: copies to make with digests, builds and their pushed digest', () => {
    const html = renderStatusPage(
      {
        history: [],
        leader: true,
        instance: 'default',
        namespace: 'image-gitops',
        report: {
          startedAt: '',
          finishedAt: '',
          durationSeconds: 1,
          trigger: 'manual',
          result: 'Succeeded',
          fetchSkipped: false,
          manifests: [
            manifest({
              details: {
                observed: '3 selected, 1 up to date, 2 to copy',
                pending: [{ sourceRef: 'v1.2.0', digest: 'sha256:feed' }],
                pendingMore: 1,
                builds: [{ job: 'app-1', phase: 'Complete', image: 'r/app:v1', digest: 'sha256:beef' }],
              },
            }),
          ],
          fileProblems: [],
          counts: { applied: 0, unchanged: 0, pruned: 0, failed: 0, kept: 0 },
          appliedByKind: {},
          prunedByKind: {},
        },
      },
      { refreshSeconds: 30 },
    );
    assert.match(html, /<p class="observed">3 selected, 1 up to date, 2 to copy<\/p>/);
    assert.match(
      html,
      /<table class="details pending"><caption>to copy \(and 1 more\)<\/caption>.*v1\.2\.0.*sha256:feed/,
    );
    assert.match(html, /<table class="details builds">.*app-1.*Complete.*r\/app:v1.*sha256:beef/);
    assert.match(html, /<meta http-equiv="refresh" content="30">/);
  });
});
