// ImageSync's checks beyond the schema: each refusal at its field path with its message, and the specs
// next to it that pass.
import assert from 'node:assert/strict';
import { checkImageSync } from '../../../src/kinds/image-sync/check.js';
import type { ImageSyncSpec } from '../../../src/kinds/image-sync/spec.js';

const DIGEST = `sha256:${'c'.repeat(64)}`;
const base: ImageSyncSpec = { source: { image: 'nginx' }, destination: { image: 'r.io/nginx' } };

function check(spec: Partial<ImageSyncSpec>): ReturnType<typeof checkImageSync> {
  return checkImageSync({ ...base, ...spec });
}

describe('ImageSync checks', () => {
  it('refuses a source with both a tag and a digest, at /spec/source', () => {
    assert.deepEqual(check({ source: { image: 'nginx', tag: '1.27', digest: DIGEST } }), [
      { field: '/spec/source', message: 'give either tag or digest, not both' },
    ]);
    assert.deepEqual(check({ source: { image: 'nginx', tag: '1.27' } }), []);
    assert.deepEqual(check({ source: { image: 'nginx', digest: DIGEST } }), []);
  });

  it('refuses a source tag or digest next to a tag selector, at /spec/tags', () => {
    const refusal = {
      field: '/spec/tags',
      message: 'a tag selector picks the tags: remove source.tag/digest',
    };
    const tags = { pattern: '1.x.x' };
    assert.deepEqual(check({ tags, source: { image: 'nginx', tag: '1.27' } }), [refusal]);
    assert.deepEqual(check({ tags, source: { image: 'nginx', digest: DIGEST } }), [refusal]);
    assert.deepEqual(check({ tags }), []);
  });

  it('refuses a cron expression for a Recurrent sync with a tag selector, saying to give a frequency', () => {
    assert.deepEqual(check({ mode: 'Recurrent', tags: { pattern: '1.x.x' }, schedule: '0 3 * * *' }), [
      {
        field: '/spec/schedule',
        message:
          'Recurrent with a tag selector takes a frequency (15m, 1h30m, 1d), not a cron expression: the reconciler times it',
      },
    ]);
  });

  it('leaves the schedule of a tag selector alone outside Recurrent mode (it times Recurrent syncs only)', () => {
    assert.deepEqual(check({ mode: 'OnceByTag', tags: { pattern: '1.x.x' }, schedule: '0 3 * * *' }), []);
  });

  it('reports tag selector problems under /spec/tags', () => {
    const problems = check({ tags: { pattern: '1.x.x', include: ['^1\\.', '('] } });
    assert.deepEqual(
      problems.map((p) => p.field),
      ['/spec/tags/include/1'],
    );
    assert.match(problems[0]?.message ?? '', /^invalid regular expression: missing closing \)/);
  });

  it('reports a destination the source cannot be copied to at /spec, with the naming error as message', () => {
    assert.deepEqual(check({ destination: { image: 'r.io/x', tag: '{{version}}' } }), [
      {
        field: '/spec',
        message:
          'unknown template variable {{version}}; known: {{tag}}, {{registry}}, {{repository}}, {{name}}',
      },
    ]);
    assert.deepEqual(check({ destination: { image: 'r.io/x', tag: 'v-{{tag}}' } }), []);
  });
});
