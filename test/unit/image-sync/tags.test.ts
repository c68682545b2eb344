import assert from 'node:assert/strict';
import {
  compareTagsNewestFirst,
  isReleaseCandidate,
  patternMatcher,
  selectorProblems,
  selectTags,
} from '../../../src/kinds/image-sync/tags.js';

// A realistic slice of quay.io/argoproj/argocd's tags, shuffled, with the usual garbage.
const ARGOCD_TAGS = [
  'latest',
  'v2.12.3',
  'v2.13.0-rc1',
  'v2.13.0-rc.2',
  'v2.13.0',
  'sha-abc1234',
  'v2.13.1',
  '2.13',
  'v2.13.1-alpine',
  'v2.13.10',
  'v2.13.2',
  'v2.14.0',
  'v2.14.0-rc3',
  'v3.0.0',
  '2.13.4',
  'v2.13',
  'main',
];

describe('tag patterns', () => {
  it('matches v2.13.x but not v2.14.0, suffixed, two-segment or prefix-less tags', () => {
    assert.deepEqual(selectTags(ARGOCD_TAGS, { pattern: 'v2.13.x' }), [
      'v2.13.10',
      'v2.13.2',
      'v2.13.1',
      'v2.13.0',
    ]);
  });

  it("takes an optional v as image-operator's ^v? does: 2.13.x also selects v2.13.*, v2.13.x only v-tags", () => {
    assert.deepEqual(selectTags(ARGOCD_TAGS, { pattern: '2.13.x' }), [
      'v2.13.10',
      '2.13.4',
      'v2.13.2',
      'v2.13.1',
      'v2.13.0',
    ]);
    assert.deepEqual(selectTags(['v2.13.4', '2.13.5'], { pattern: 'v2.13.x' }), ['v2.13.4']);
    assert.deepEqual(selectTags(['3.5', 'v3.6', '3.6.1', 'v4.0', '3.7-alpine'], { pattern: '3.x' }), [
      'v3.6',
      '3.5',
    ]);
  });

  it('matches 2.x.0 and 4.x.x by segment', () => {
    const tags = ['2.0.0', '2.1.0', '2.1.1', '3.1.0', '4.0.1', '4.2.9', '4.2', '4.2.9.1', 'v4.1.1'];
    assert.deepEqual(selectTags(tags, { pattern: '2.x.0' }), ['2.1.0', '2.0.0']);
    assert.deepEqual(selectTags(tags, { pattern: '4.x.x' }), ['4.2.9', 'v4.1.1', '4.0.1']);
  });

  it('leaves release candidates out unless asked, in both -rc1 and -rc.2 spellings', () => {
    assert.equal(isReleaseCandidate('v2.13.0-rc1'), true);
    assert.equal(isReleaseCandidate('v2.13.0-rc.2'), true);
    assert.equal(isReleaseCandidate('v2.13.1-alpine'), false);
    const withRc = selectTags(ARGOCD_TAGS, { pattern: 'v2.13.x', releaseCandidates: true });
    assert.deepEqual(withRc, ['v2.13.10', 'v2.13.2', 'v2.13.1', 'v2.13.0', 'v2.13.0-rc.2', 'v2.13.0-rc1']);
  });

  it('rejects a text that is not a pattern', () => {
    assert.throws(() => patternMatcher('v2.*'));
    assert.equal(selectorProblems({ pattern: '2.y.0' }).length, 1);
  });
});

describe('semver ranges', () => {
  it('selects >=1.2 <1.4 among v-prefixed and plain versions, ignoring non-versions', () => {
    const tags = [
      '1.1.9',
      'v1.2.0',
      '1.2.5',
      '1.3.0-rc1',
      'v1.3.7',
      '1.4.0',
      '1.3',
      'stable',
      '1.3.2-alpine',
    ];
    assert.deepEqual(selectTags(tags, { semver: '>=1.2 <1.4' }), ['v1.3.7', '1.2.5', 'v1.2.0']);
  });

  it('includes release candidates in a range only when asked', () => {
    const tags = ['1.3.0-rc1', '1.3.0-rc.2', '1.3.0', '1.2.0'];
    assert.deepEqual(selectTags(tags, { semver: '>=1.2 <1.4', releaseCandidates: true }), [
      '1.3.0',
      '1.3.0-rc.2',
      '1.3.0-rc1',
      '1.2.0',
    ]);
  });

  it('reports an invalid range', () => {
    assert.deepEqual(
      selectorProblems({ semver: 'not a range!' }).map((p) => p.field),
      ['semver'],
    );
  });
});

describe('regex include and exclude', () => {
  it('keeps the tags an include matches and drops the excluded ones', () => {
    const tags = ['22-alpine', '22.1-alpine', '22-bookworm', '20-alpine', 'latest', '22-alpine-rc1'];
    assert.deepEqual(selectTags(tags, { include: ['^22.*-alpine$'], exclude: ['^22\\.1'] }), ['22-alpine']);
  });

  it('combines with a pattern: exclude a known-bad release', () => {
    assert.deepEqual(selectTags(ARGOCD_TAGS, { pattern: 'v2.13.x', exclude: ['^v2\\.13\\.2$'] }), [
      'v2.13.10',
      'v2.13.1',
      'v2.13.0',
    ]);
  });

  it('reports an invalid expression with its index', () => {
    assert.deepEqual(
      selectorProblems({ include: ['ok', '(unclosed'] }).map((p) => p.field),
      ['include/1'],
    );
  });
});

describe('ordering and newest N', () => {
  it('orders numerically (v2.13.10 above v2.13.2), a release above its RCs, non-versions last', () => {
    const sorted = ['v2.13.2', 'latest', 'v2.13.10', 'v2.13.10-rc1', 'main', 'v2.9.0'].sort(
      compareTagsNewestFirst,
    );
    assert.deepEqual(sorted, ['v2.13.10', 'v2.13.10-rc1', 'v2.13.2', 'v2.9.0', 'main', 'latest']);
  });

  it('keeps only the newest N of what matched', () => {
    assert.deepEqual(selectTags(ARGOCD_TAGS, { pattern: 'v2.x.x', newest: 3 }), [
      'v2.14.0',
      'v2.13.10',
      'v2.13.2',
    ]);
  });

  it('counts N after the release-candidate rule', () => {
    // The newest matching tags are candidates: counted first, they would leave no release at all.
    const tags = [...ARGOCD_TAGS, 'v2.14.1-rc1', 'v2.14.1-rc.2', 'v2.14.2-rc.1'];
    assert.deepEqual(selectTags(tags, { pattern: 'v2.14.x', newest: 1, releaseCandidates: false }), [
      'v2.14.0',
    ]);
    assert.deepEqual(selectTags(tags, { pattern: 'v2.x.x', newest: 2 }), ['v2.14.0', 'v2.13.10']);
    assert.deepEqual(selectTags(tags, { pattern: 'v2.14.x', newest: 1, releaseCandidates: true }), [
      'v2.14.2-rc.1',
    ]);
  });
});
