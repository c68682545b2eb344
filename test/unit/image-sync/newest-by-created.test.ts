import assert from 'node:assert/strict';
import { memoryScope, readMemory, rememberSeen } from '../../../src/kinds/image-sync/memory.js';
import { newestByCreated, newestRule, selectTags } from '../../../src/kinds/image-sync/tags.js';

const A = `sha256:${'a'.repeat(64)}`;
const B = `sha256:${'b'.repeat(64)}`;

describe('newest by creation time', () => {
  it('reads newest as a number (by version) or as {count, by}', () => {
    assert.deepEqual(newestRule(3), { count: 3, by: 'version' });
    assert.deepEqual(newestRule({ count: 2 }), { count: 2, by: 'version' });
    assert.deepEqual(newestRule({ count: 2, by: 'created' }), { count: 2, by: 'created' });
    assert.equal(newestRule(undefined), undefined);
  });

  it('leaves the cut to the caller when by created: every match, in version order', () => {
    const tags = ['v1.0.0', 'v1.0.2', 'v1.0.1'];
    assert.deepEqual(selectTags(tags, { newest: { count: 1, by: 'created' } }), [
      'v1.0.2',
      'v1.0.1',
      'v1.0.0',
    ]);
    assert.deepEqual(selectTags(tags, { newest: { count: 1 } }), ['v1.0.2']);
  });

  it('keeps the ones made last; unknown times after known ones, in version order', () => {
    const made: Record<string, string> = {
      'v1.0.2': '2024-01-01T00:00:00Z',
      'v1.0.1': '2024-06-01T00:00:00.5+02:00',
      'v0.9.0': '2025-01-01T00:00:00Z',
    };
    const order = ['v1.0.3', 'v1.0.2', 'v1.0.1', 'v1.0.0', 'v0.9.0'];
    assert.deepEqual(
      newestByCreated(order, (t) => made[t], 2),
      ['v0.9.0', 'v1.0.1'],
    );
    assert.deepEqual(
      newestByCreated(order, (t) => made[t], 4),
      ['v0.9.0', 'v1.0.1', 'v1.0.2', 'v1.0.3'],
    );
    assert.deepEqual(
      newestByCreated(order, () => 'not a date', 2),
      ['v1.0.3', 'v1.0.2'],
    );
  });

  it('keeps creation times by digest in memory, "" for an image that has none, and drops junk', () => {
    const scope = memoryScope({ source: { image: 'a/b' }, destination: { image: 'c/d' } });
    const memory = rememberSeen(
      scope,
      [{ tag: 'v1', source: A }],
      new Map([
        [A, '2024-01-01T00:00:00Z'],
        [B, ''],
      ]),
    );
    const back = readMemory(JSON.parse(JSON.stringify(memory)), scope);
    assert.deepEqual(back.created, { [A]: '2024-01-01T00:00:00Z', [B]: '' });
    const junk = readMemory(
      { scope, tags: {}, created: { [A]: 'yesterday', notadigest: '2024-01-01T00:00:00Z' } },
      scope,
    );
    assert.equal(junk.created, undefined);
  });
});
