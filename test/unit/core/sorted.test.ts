import assert from 'node:assert/strict';
import { sortedBy } from '../../../src/core/sorted.js';
import { seededRandom } from '../../support/random.js';

describe('sortedBy', () => {
  const byKey = (a: { key: string }, b: { key: string }) => a.key.localeCompare(b.key);

  it('gives what a stable sort gives, for any order, and leaves the input as it was', () => {
    const next = seededRandom(7);
    for (let round = 0; round < 500; round++) {
      const items = Array.from({ length: Math.floor(next() * 8) }, (_, i) => ({
        key: ['a', 'B', 'b', 'a-1', 'a_1', ''][Math.floor(next() * 6)]!,
        i,
      }));
      if (next() < 0.5) items.sort(byKey);
      const before = [...items];
      assert.deepEqual(sortedBy(items, byKey), [...items].sort(byKey), `round ${round}`);
      assert.deepEqual(items, before);
    }
  });

  it('gives the items themselves when they are in order, ties kept where they are', () => {
    const items = [{ key: 'a' }, { key: 'a' }, { key: 'b' }];
    assert.equal(sortedBy(items, byKey), items);
    const unsorted = [{ key: 'b' }, { key: 'a' }];
    assert.notEqual(sortedBy(unsorted, byKey), unsorted);
    assert.deepEqual(unsorted, [{ key: 'b' }, { key: 'a' }]);
  });
});
