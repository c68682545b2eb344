// The health of a set of objects is its worst one: each state against each state below it in the order.
import assert from 'node:assert/strict';
import { worstHealth } from '../../../src/health/index.js';
import type { HealthState } from '../../../src/status/types.js';

/** Worst first, as gitops-engine ranks them (Suspended just above Healthy). */
const WORST_FIRST: HealthState[] = ['Failed', 'Degraded', 'Progressing', 'Unknown', 'Suspended', 'Healthy'];

describe('worst health of a set', () => {
  for (const [i, worse] of WORST_FIRST.entries()) {
    for (const better of WORST_FIRST.slice(i + 1)) {
      it(`is ${worse} for ${worse} with ${better}, in either order`, () => {
        assert.equal(worstHealth([better, worse, better]), worse);
        assert.equal(worstHealth([worse, better]), worse);
      });
    }
  }

  it('is the one state of a set of one, and Healthy for an empty set', () => {
    for (const state of WORST_FIRST) assert.equal(worstHealth([state]), state);
    assert.equal(worstHealth([]), 'Healthy');
  });
});
