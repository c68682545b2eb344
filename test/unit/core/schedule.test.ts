// A manifest's schedule: a frequency or a cron expression, and the CronJob schedule it becomes (or the
// reconciler's own timing when no CronJob says it at even intervals).
import assert from 'node:assert/strict';
import {
  DEFAULT_FREQUENCY,
  exactCronFor,
  parseFrequency,
  recurrenceOf,
  roundedUpNote,
  scheduleProblem,
  scheduleToCron,
} from '../../../src/core/schedule.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

describe('frequencies', () => {
  it('reads positive durations only', () => {
    assert.equal(parseFrequency('1h30m'), 90 * MINUTE);
    assert.equal(parseFrequency('600s'), 10 * MINUTE);
    assert.equal(parseFrequency('0s'), undefined);
    assert.equal(parseFrequency('-5m'), undefined);
    assert.equal(parseFrequency('soon'), undefined);
    assert.equal(DEFAULT_FREQUENCY, '5m');
  });

  it('become a CronJob schedule only at even intervals', () => {
    const cases: [number, string | undefined][] = [
      [1, '* * * * *'],
      [59_999, '* * * * *'],
      [MINUTE, '* * * * *'],
      [MINUTE + 1, undefined],
      [90_000, undefined],
      [2 * MINUTE, '*/2 * * * *'],
      [5 * MINUTE, '*/5 * * * *'],
      [7 * MINUTE, undefined],
      [30 * MINUTE, '*/30 * * * *'],
      [45 * MINUTE, undefined],
      [59 * MINUTE, undefined],
      [HOUR, '0 * * * *'],
      [90 * MINUTE, undefined],
      [HOUR + 30 * MINUTE, undefined],
      [2 * HOUR, '0 */2 * * *'],
      [5 * HOUR, undefined],
      [12 * HOUR, '0 */12 * * *'],
      [23 * HOUR, undefined],
      [24 * HOUR, '0 0 * * *'],
      [36 * HOUR, undefined],
      [48 * HOUR, undefined],
      [7 * 24 * HOUR, '0 0 * * 0'],
      [14 * 24 * HOUR, undefined],
    ];
    for (const [ms, cron] of cases) assert.equal(exactCronFor(ms), cron, `${ms} ms`);
  });
});

describe('recurrence of a schedule', () => {
  it('runs an even frequency as a CronJob and keeps its length', () => {
    assert.deepEqual(recurrenceOf(' 5m '), { kind: 'cron', cron: '*/5 * * * *', everyMs: 5 * MINUTE });
    assert.deepEqual(recurrenceOf('1w'), { kind: 'cron', cron: '0 0 * * 0', everyMs: 7 * 24 * HOUR });
  });

  it('times any other frequency itself', () => {
    assert.deepEqual(recurrenceOf('90m'), { kind: 'interval', everyMs: 90 * MINUTE });
    assert.deepEqual(recurrenceOf('2w'), { kind: 'interval', everyMs: 14 * 24 * HOUR });
  });

  it('passes a valid cron expression on with single spaces, and a descriptor as written', () => {
    assert.deepEqual(recurrenceOf(' 0  0\t* * 1-5 '), { kind: 'cron', cron: '0 0 * * 1-5' });
    assert.deepEqual(recurrenceOf(' @daily '), { kind: 'cron', cron: '@daily' });
    assert.deepEqual(recurrenceOf('@every 1h'), { kind: 'cron', cron: '@every 1h' });
  });

  it('is none for an invalid cron expression or other text', () => {
    for (const text of ['0 0 * * 7', '@sometimes', '0 0 * *', 'soon', '0s', ''])
      assert.equal(recurrenceOf(text), undefined, text);
  });

  it('gives the CronJob schedule only when a CronJob runs it', () => {
    assert.equal(scheduleToCron('1h'), '0 * * * *');
    assert.equal(scheduleToCron('0 3 * * *'), '0 3 * * *');
    assert.equal(scheduleToCron('90m'), undefined);
    assert.equal(scheduleToCron('0 0 * * 7'), undefined);
  });
});

describe('schedule problems', () => {
  it('none for a valid schedule', () => {
    for (const text of ['5m', '90m', '*/5 * * * *', '@hourly'])
      assert.equal(scheduleProblem(text), undefined, text);
  });

  it("gives the API server's reason for a cron expression it refuses", () => {
    assert.equal(
      scheduleProblem('0 0 * * 7'),
      '"0 0 * * 7" is not a valid cron schedule: end of range (7) above maximum (6): 7 (day of week)',
    );
    assert.equal(
      scheduleProblem(' @sometimes'),
      '" @sometimes" is not a valid cron schedule: unrecognized descriptor: @sometimes',
    );
  });

  it('says what a schedule may be for any other text', () => {
    for (const text of ['soon', '0s', '0 0 * *', '* * * * * *'])
      assert.equal(
        scheduleProblem(text),
        `"${text}" is neither a frequency (600s, 90m, 1h30m, 36h, 45d, 2w) nor a five-field cron expression`,
      );
  });
});

describe('a frequency below one minute', () => {
  it('is said in status, and nothing else is', () => {
    const fast = recurrenceOf('30s');
    assert.ok(fast);
    assert.equal(roundedUpNote(fast), "30s is below a CronJob's one minute: copied every minute");
    for (const text of ['1m', '60s', '90m', '@daily', '*/5 * * * *'])
      assert.equal(roundedUpNote(recurrenceOf(text)!), undefined, text);
    assert.equal(roundedUpNote({ kind: 'interval', everyMs: 1000 }), undefined);
  });
});
