// One duration grammar for manifests and settings (issue 14: `1w` worked in a manifest but not in
// SYNC_SCHEDULE, `1h30m` the other way round).
import assert from 'node:assert/strict';
import { formatDuration, parseDuration } from '../../../src/core/duration.js';

describe('duration grammar', () => {
  it('reads every unit: ms, s, m, h, d and w', () => {
    assert.equal(parseDuration('1500ms'), 1500);
    assert.equal(parseDuration('30s'), 30_000);
    assert.equal(parseDuration('5m'), 300_000);
    assert.equal(parseDuration('36h'), 129_600_000);
    assert.equal(parseDuration('1d'), 86_400_000);
    assert.equal(parseDuration('2w'), 14 * 86_400_000);
  });

  it('adds up combinations, Go-style, weeks and days included', () => {
    assert.equal(parseDuration('1h30m'), 5_400_000);
    assert.equal(parseDuration('1w2d'), 9 * 86_400_000);
    assert.equal(parseDuration('1m500ms'), 60_500);
    assert.equal(parseDuration('2d12h'), 60 * 3_600_000);
  });

  it('takes decimals and surrounding spaces, and rounds to whole milliseconds', () => {
    assert.equal(parseDuration('1.5h'), 5_400_000);
    assert.equal(parseDuration(' 600s '), 600_000);
    assert.equal(parseDuration('0.0004s'), 0);
    assert.equal(parseDuration('0m'), 0);
  });

  it('refuses what is not a duration', () => {
    for (const text of [
      '',
      '5',
      'h',
      '-5m',
      '+5m',
      '1h 30m',
      '5 minutes',
      '5mx',
      '1y',
      '.5h',
      '1.h',
      '5M',
      '1 h',
    ])
      assert.equal(parseDuration(text), undefined, text);
  });

  it('writes a duration back as text that reads the same', () => {
    assert.equal(formatDuration(5_400_000), '1h30m');
    assert.equal(formatDuration(7 * 86_400_000), '7d');
    assert.equal(formatDuration(90_061_001), '1d1h1m1s1ms');
    assert.equal(formatDuration(1500), '1s500ms');
    assert.equal(formatDuration(600_000), '10m');
    assert.equal(formatDuration(0), '0ms');
    for (const ms of [1, 999, 1000, 61_000, 3_600_000, 86_400_001, 777_600_000])
      assert.equal(parseDuration(formatDuration(ms)), ms, String(ms));
  });
});
