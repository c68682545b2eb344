import assert from 'node:assert/strict';
import { nextLink } from '../../../src/registry/client.js';
import { describeTruncation, nextPageUrl } from '../../../src/registry/tag-pages.js';

describe('tag-list pages', () => {
  const current = new URL('https://r.example.com/v2/team/app/tags/list?n=100');
  const next = (header: string | string[] | undefined) => nextPageUrl(header, current)?.href;

  it('follows rel="next" as distribution writes it', () => {
    assert.equal(
      next('</v2/team/app/tags/list?last=v1&n=100>; rel="next"'),
      'https://r.example.com/v2/team/app/tags/list?last=v1&n=100',
    );
  });

  it('finds next among other links, parameters in any order, rel lists and unquoted rel', () => {
    const target = 'https://r.example.com/v2/team/app/tags/list?last=b';
    assert.equal(
      next('</v2/team/app/tags/list?last=a>; rel="prev", </v2/team/app/tags/list?last=b>; rel="next"'),
      target,
    );
    assert.equal(next('</v2/team/app/tags/list?last=b>; title="page 2"; rel="next"'), target);
    assert.equal(next('</v2/team/app/tags/list?last=b>; rel="next last"'), target);
    assert.equal(next('</v2/team/app/tags/list?last=b>;rel=next'), target);
    assert.equal(
      next(['</v2/team/app/tags/list?last=a>; rel="prev"', '</v2/team/app/tags/list?last=b>; rel="next"']),
      target,
    );
  });

  it('resolves a relative link against the page that carried it; keeps an absolute one as it is', () => {
    assert.equal(
      next('<?last=c&n=100>; rel="next"'),
      'https://r.example.com/v2/team/app/tags/list?last=c&n=100',
    );
    assert.equal(next('<https://other.example.com/x>; rel="next"'), 'https://other.example.com/x');
  });

  it('has no next page without a next link', () => {
    for (const header of [undefined, '', '</v2/x>; rel="prev"', '</v2/x>; rel="nextpage"', 'garbage'])
      assert.equal(next(header), undefined, String(header));
  });

  it('keeps nextLink as path and query for a same-registry link', () => {
    assert.equal(nextLink('</v2/a/tags/list?last=x>; rel="next"'), '/v2/a/tags/list?last=x');
  });

  it('says which bound truncated a list and how much was read', () => {
    assert.equal(
      describeTruncation('r.example.com/team/app', { reason: 'maxTags', pages: 1, tags: 1000 }),
      'tag list of r.example.com/team/app truncated: the first 1000 tags (1 page) were read, more not read (tags.maxTags or REGISTRY_MAX_TAGS)',
    );
    assert.match(
      describeTruncation('x/y', { reason: 'syncPages', pages: 3, pageSize: 100, tags: 300 }),
      /300 tags \(3 pages of 100\).*REGISTRY_TAG_PAGES_PER_SYNC/,
    );
    assert.match(
      describeTruncation('x/y', { reason: 'awsPages', pages: 4, pageSize: 1000, tags: 4000 }),
      /API_AWS_PAGE_MAX/,
    );
  });
});
