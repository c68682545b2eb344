// Rules of tag selection the mutation run (npm run mutation, test/MUTATION.md) found untested: the version
// and candidate grammar at its edges, the newest-first order's tie-breaks, and the selector's messages.
import assert from 'node:assert/strict';
import {
  compareTagsNewestFirst,
  compileTagExpression,
  isReleaseCandidate,
  isTagPattern,
  MAX_EXPRESSION_LENGTH,
  parseVersionTag,
  patternMatcher,
  selectorProblems,
  selectTags,
} from '../../../src/kinds/image-sync/tags.js';

describe('tag grammar at its edges', () => {
  it('takes -rc<n> as a candidate only at the end, with any number of digits', () => {
    assert.equal(isReleaseCandidate('v1.0.0-rc12'), true);
    assert.equal(isReleaseCandidate('v1.0.0-rc1-alpine'), false);
    assert.deepEqual(parseVersionTag('1.0.0-rc12'), { prefix: '', numbers: [1, 0, 0], rc: 12 });
  });

  it('reads a version only when the whole tag is one, first number of any length', () => {
    assert.equal(parseVersionTag('release-1.2.3'), undefined);
    assert.deepEqual(parseVersionTag('10.1'), { prefix: '', numbers: [10, 1] });
  });

  it('knows a pattern by an x segment anywhere, first included, and a first number of any length', () => {
    assert.equal(isTagPattern('x.2'), true);
    assert.equal(isTagPattern('1.2'), false);
    assert.deepEqual(selectTags(['10.1', '10.2', '9.1', '10.2.1'], { pattern: '10.x' }), ['10.2', '10.1']);
  });

  it('refuses a text that is not a pattern, saying what a pattern looks like', () => {
    assert.throws(
      () => patternMatcher('2.y'),
      /^Error: "2\.y" is not a tag pattern like 2\.x\.0, v2\.13\.x or 4\.x\.x$/,
    );
  });
});

describe('newest first: the tie-breaks', () => {
  it('puts versions before other tags, whichever side they are on', () => {
    assert.equal(compareTagsNewestFirst('1.0', 'latest'), -1);
    assert.equal(compareTagsNewestFirst('latest', '1.0'), 1);
  });

  it('compares every number, the longer version included, before the text', () => {
    assert.deepEqual(['v2.0', '2.0.1'].sort(compareTagsNewestFirst), ['2.0.1', 'v2.0']);
  });

  it('orders two spellings of one candidate by their text, the same whichever comes first', () => {
    assert.equal(compareTagsNewestFirst('1.0.0-rc.1', '1.0.0-rc1'), 1);
    assert.equal(compareTagsNewestFirst('1.0.0-rc1', '1.0.0-rc.1'), -1);
  });

  it('orders other tags by name, descending, and an equal tag as equal', () => {
    assert.equal(compareTagsNewestFirst('main', 'latest'), -1);
    assert.equal(compareTagsNewestFirst('latest', 'main'), 1);
    assert.equal(compareTagsNewestFirst('main', 'main'), 0);
  });
});

describe('ranges with candidates', () => {
  it('reads a candidate as a semver prerelease, so a range can tell rc.1 from rc.2', () => {
    assert.deepEqual(
      selectTags(['1.3.0-rc1', '1.3.0-rc.2', '1.2.0'], {
        semver: '>=1.3.0-rc.2 <1.4',
        releaseCandidates: true,
      }),
      ['1.3.0-rc.2'],
    );
  });
});

describe('include expressions', () => {
  it('keeps a tag that any one include matches', () => {
    assert.deepEqual(selectTags(['1.0', '2.0', '3.0'], { include: ['^1\\.', '^2\\.'] }), ['2.0', '1.0']);
  });

  it(`accepts an expression of ${MAX_EXPRESSION_LENGTH} characters, not one more`, () => {
    assert.doesNotThrow(() => compileTagExpression('a'.repeat(MAX_EXPRESSION_LENGTH)));
    assert.throws(() => compileTagExpression('a'.repeat(MAX_EXPRESSION_LENGTH + 1)), /longer than 1000/);
  });
});

describe('selector problems', () => {
  it('names the field and says what is wrong with a pattern, a range and an expression', () => {
    assert.deepEqual(selectorProblems({ pattern: 'v2.*', semver: '>=1.2 <1.4' }), [
      { field: 'pattern', message: '"v2.*" is not a pattern like 2.x.0, v2.13.x or 4.x.x' },
    ]);
    assert.deepEqual(selectorProblems({ semver: 'not a range!' }), [
      { field: 'semver', message: '"not a range!" is not a semver range like ">=1.2 <1.4"' },
    ]);
    const [bad] = selectorProblems({ include: ['('] });
    assert.equal(bad?.field, 'include/0');
    assert.match(bad?.message ?? '', /^invalid regular expression: /);
    assert.doesNotMatch(bad?.message ?? '', /error parsing regexp/, "RE2's prefix is dropped");
    assert.match(bad?.message ?? '', /no backreferences or lookarounds/);
  });
});
