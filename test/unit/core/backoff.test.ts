import assert from 'node:assert/strict';
import { APPLY_BACKOFF } from '../../../src/apply/retry.js';
import { backoffDelay } from '../../../src/core/backoff.js';
import { DEFAULT_BACKOFF } from '../../../src/run/scheduler.js';
import { NOTIFY_BACKOFF } from '../../../src/server/notifier.js';

describe('backoff', () => {
  const policy = { initialMs: 1000, maxMs: 30_000, factor: 2, jitter: 0.5 };
  const noJitter = () => 0;

  it('grows by the factor with each retry up to the maximum', () => {
    assert.deepEqual(
      [1, 2, 3, 4, 5, 6, 10].map((n) => backoffDelay(n, policy, noJitter)),
      [1000, 2000, 4000, 8000, 16_000, 30_000, 30_000],
    );
    assert.deepEqual(
      [1, 2, 3].map((n) => backoffDelay(n, { ...policy, factor: 3 }, noJitter)),
      [1000, 3000, 9000],
    );
  });

  it('takes jitter off the delay, at most the jitter share', () => {
    assert.equal(
      backoffDelay(3, policy, () => 1),
      2000,
    );
    assert.equal(
      backoffDelay(3, policy, () => 0.5),
      3000,
    );
    assert.equal(
      backoffDelay(3, { ...policy, jitter: 1 }, () => 1),
      0,
    );
    for (let i = 0; i < 50; i++) {
      const delay = backoffDelay(4, policy);
      assert.ok(delay <= 8000 && delay >= 4000, `delay ${delay}`);
    }
  });

  it('waits whole milliseconds', () => {
    assert.equal(
      backoffDelay(1, { initialMs: 200, maxMs: 5000, factor: 2, jitter: 1 }, () => 0.3333),
      133,
    );
  });
});

describe('each retry keeps its numbers', () => {
  const noJitter = () => 0;
  const delays = (policy: typeof NOTIFY_BACKOFF, retries: number[]) =>
    retries.map((n) => backoffDelay(n, policy, noJitter));

  it('notifications: 1 s, doubling, at most 30 s, never shortened at random', () => {
    assert.deepEqual(
      delays(NOTIFY_BACKOFF, [1, 2, 3, 4, 5, 6, 7]),
      [1000, 2000, 4000, 8000, 16_000, 30_000, 30_000],
    );
    assert.equal(
      backoffDelay(3, NOTIFY_BACKOFF, () => 0.9),
      4000,
    );
  });

  it('API writes: 200 ms, doubling, at most 5 s, anywhere down to nothing (full jitter)', () => {
    assert.deepEqual(delays(APPLY_BACKOFF, [1, 2, 3, 4, 5, 6]), [200, 400, 800, 1600, 3200, 5000]);
    assert.equal(
      backoffDelay(5, APPLY_BACKOFF, () => 1),
      0,
    );
  });

  it('failed syncs: 5 s, doubling, at most 5 min, up to half off at random', () => {
    assert.deepEqual(delays(DEFAULT_BACKOFF, [1, 2, 7, 8]), [5000, 10_000, 300_000, 300_000]);
    assert.equal(
      backoffDelay(1, DEFAULT_BACKOFF, () => 1),
      2500,
    );
  });
});
