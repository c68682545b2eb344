import assert from 'node:assert/strict';
import { convertImageOperatorImage } from '../../../src/kinds/image-sync/alias-image-operator.js';
import { imageOperatorRegex, selectTags } from '../../../src/kinds/image-sync/tags.js';

// What an `Image`'s version selects, as image-operator's GenerateRegex (internal/helpers/list_versions.go)
// writes its regex and its ListVersions tests state the result. The tag lists are ours, shaped like the
// registries those tests list.
const asImage = (version: string, allowCandidateRelease = false) =>
  convertImageOperatorImage({
    spec: {
      mode: 'OneShot',
      allowCandidateRelease,
      source: { name: 'quay.io/example/app', version },
      destination: { name: 'registry.example.com/example/app', version },
    },
  });
const select = (tags: string[], version: string, allowCandidateRelease = false) =>
  selectTags(tags, asImage(version, allowCandidateRelease).tags!).sort();

describe("image-operator's version patterns", () => {
  it('writes the regex image-operator writes', () => {
    assert.equal(imageOperatorRegex('19.x', false), '^v?19.\\d+$');
    assert.equal(imageOperatorRegex('2', false), '^v?2$');
    assert.equal(imageOperatorRegex('2.12.x', true), '^v?2.12.\\d+(-rc\\d)?$');
    assert.equal(imageOperatorRegex('3.x.x', true), '^v?3.\\d+.\\d+(-rc\\d)?$');
    assert.equal(imageOperatorRegex('3.x.0', true), '^v?3.\\d+.0(-rc\\d)?$');
    assert.equal(imageOperatorRegex('v2.13.x', false), '^v?v2.13.\\d+$');
  });

  it('2.13.x selects v2.13.4: a repository tagged v2.13.* is not empty to it', () => {
    const tags = ['v2.13.0', 'v2.13.4', 'v2.12.9', 'v2.14.0', 'latest'];
    assert.deepEqual(select(tags, '2.13.x'), ['v2.13.0', 'v2.13.4']);
  });

  it('3.x selects plain and v-prefixed two-segment tags, not 3.7-alpine nor three segments', () => {
    const tags = ['3.0', '3.6', '3.7', 'v3.6', '3.7-alpine', '3.3.1', '2.9', 'v4.0', 'edge'];
    assert.deepEqual(select(tags, '3.x'), ['3.0', '3.6', '3.7', 'v3.6']);
    assert.deepEqual(select(tags, '3.3.x'), ['3.3.1']);
  });

  it('takes -rc and one digit with allowCandidateRelease, and no candidate without it', () => {
    const tags = ['v2.13.0', 'v2.13.0-rc1', 'v2.13.0-rc5', 'v2.13.1', 'v2.14.0-rc1', 'v2.13.2-alpine'];
    assert.deepEqual(select(tags, '2.13.x', true), ['v2.13.0', 'v2.13.0-rc1', 'v2.13.0-rc5', 'v2.13.1']);
    assert.deepEqual(select(tags, '2.13.x', false), ['v2.13.0', 'v2.13.1']);
    // The README's own example: v2.13.x with candidates.
    assert.deepEqual(select(tags, 'v2.13.x', true), ['v2.13.0', 'v2.13.0-rc1', 'v2.13.0-rc5', 'v2.13.1']);
  });

  it('selects 2.x.0 and 4.x.x segment by segment, with or without v', () => {
    const tags = ['2.0.0', '2.1.0', '2.1.1', 'v2.3.0', '4.0.1', 'v4.2.9', '4.2', '4.2.9.1'];
    assert.deepEqual(select(tags, '2.x.0'), ['2.0.0', '2.1.0', 'v2.3.0']);
    assert.deepEqual(select(tags, '4.x.x'), ['4.0.1', 'v4.2.9']);
  });

  it('converts the pattern with its syntax, so that the native kind runs the same regex', () => {
    assert.deepEqual(asImage('v2.13.x', true).tags, {
      pattern: 'v2.13.x',
      releaseCandidates: true,
      syntax: 'image-operator',
    });
  });
});
