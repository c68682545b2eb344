// A CronJob's schedule as the API server parses it (robfig/cron v3 ParseStandard, and the API server's own
// refusal of TZ): every refusal with its exact message, field by field, and the acceptances at each bound.
// The accept/refuse verdicts of the cases shared with test/integration/engine/cron-schedules.test.ts were
// checked against a real API server there.
import assert from 'node:assert/strict';
import { cronJobScheduleProblem, nodeCronProblem } from '../../../src/core/cron.js';

function refuses(schedule: string, message: string) {
  assert.equal(cronJobScheduleProblem(schedule), message, JSON.stringify(schedule));
}

function accepts(schedule: string) {
  assert.equal(cronJobScheduleProblem(schedule), undefined, JSON.stringify(schedule));
}

describe('CronJob schedules: what the whole text may be', () => {
  it('refuses a time zone anywhere in it', () => {
    for (const schedule of ['TZ=UTC 0 0 * * *', 'CRON_TZ=UTC 0 0 * * *', '0 0 * * * TZ'])
      refuses(schedule, 'a time zone (TZ or CRON_TZ) cannot be given in the schedule');
  });

  it('refuses an empty or blank schedule', () => {
    refuses('', 'empty schedule');
    refuses('   ', 'empty schedule');
  });

  it('accepts each descriptor, and no other', () => {
    for (const d of ['@yearly', '@annually', '@monthly', '@weekly', '@daily', '@midnight', '@hourly'])
      accepts(d);
    refuses('@sometimes', 'unrecognized descriptor: @sometimes');
    refuses('@every', 'unrecognized descriptor: @every');
    refuses('@Daily', 'unrecognized descriptor: @Daily');
  });

  it('accepts @every with a Go duration, and refuses other text after it', () => {
    for (const d of ['1h30m', '1.5h', '1.h', '.5s', '.25s', '0', '-1h', '+2m', '300ms', '10us', '1µs', '5ns'])
      accepts(`@every ${d}`);
    for (const d of ['soon', '1x', '1h 30m', '1', 'h', '1h30', 'x1h'])
      refuses(`@every ${d}`, `failed to parse duration @every ${d}`);
  });

  it('takes exactly five fields, split on any run of blanks', () => {
    refuses('0 0 * *', 'expected exactly 5 fields, found 4: 0 0 * *');
    refuses('0 0 * * * *', 'expected exactly 5 fields, found 6: 0 0 * * * *');
    accepts('0  0\t* *   *');
    accepts(' 0 0 * * * ');
  });
});

describe('CronJob schedules: one field', () => {
  it('accepts each bound of each field, and *, ? and names', () => {
    accepts('0 0 1 1 0');
    accepts('59 23 31 12 6');
    accepts('0-59 0-23 1-31 1-12 0-6');
    accepts('? ? ? ? ?');
    accepts('0 0 * jan-DEC/2 Sun,sat');
    accepts('0 0 * * mon-fri');
    accepts('0 0 31 2 *');
  });

  it('refuses a value below or above its field, naming both', () => {
    refuses('60 * * * *', 'end of range (60) above maximum (59): 60 (minute)');
    refuses('0 24 * * *', 'end of range (24) above maximum (23): 24 (hour)');
    refuses('0 0 0 * *', 'beginning of range (0) below minimum (1): 0 (day of month)');
    refuses('0 0 32 * *', 'end of range (32) above maximum (31): 32 (day of month)');
    refuses('0 0 * 0 *', 'beginning of range (0) below minimum (1): 0 (month)');
    refuses('0 0 * 13 *', 'end of range (13) above maximum (12): 13 (month)');
    refuses('0 0 * * 7', 'end of range (7) above maximum (6): 7 (day of week)');
    refuses('0 0 * * 0-7', 'end of range (7) above maximum (6): 0-7 (day of week)');
    refuses('0 0 0-5 * *', 'beginning of range (0) below minimum (1): 0-5 (day of month)');
  });

  it('reads numbers as Go strconv.Atoi does: an optional sign, digits only', () => {
    accepts('+5 * * * *');
    accepts('15 * * * *');
    for (const text of ['a', '5a', 'a5', 'L', '1W', '5#3'])
      refuses(`${text} * * * *`, `failed to parse int from ${text} (minute)`);
    refuses('0 0 * * 5#3', 'failed to parse int from 5#3 (day of week)');
    // `-1` is a range from the empty text.
    refuses('-1 * * * *', 'failed to parse int from  (minute)');
    refuses('1-a * * * *', 'failed to parse int from a (minute)');
  });

  it('takes names only in the month and day-of-week fields, and only real names', () => {
    refuses('jan * * * *', 'failed to parse int from jan (minute)');
    refuses('0 0 * FOO *', 'failed to parse int from FOO (month)');
    refuses('0 0 * * mon-foo', 'failed to parse int from foo (day of week)');
    // Names of JavaScript's object prototype are no month nor day.
    refuses('0 0 * constructor *', 'failed to parse int from constructor (month)');
    refuses('0 0 * __proto__ *', 'failed to parse int from __proto__ (month)');
    refuses('0 0 * * constructor', 'failed to parse int from constructor (day of week)');
  });

  it('reads a range low-high, and refuses one that runs backwards or has two hyphens', () => {
    refuses('5-1 * * * *', 'beginning of range (5) beyond end of range (1): 5-1 (minute)');
    refuses('1-2-3 * * * *', 'too many hyphens: 1-2-3 (minute)');
    accepts('5-5 * * * *');
  });

  it('reads a step: a positive number after one slash; N/step runs from N to the maximum', () => {
    accepts('*/5 * * * *');
    accepts('5/15 * * * *');
    accepts('55/15 * * * *');
    accepts('*/60 * * * *');
    accepts('0-59/15 * * * *');
    refuses('*/0 * * * *', 'step of range should be a positive number: */0 (minute)');
    refuses('1/2/3 * * * *', 'too many slashes: 1/2/3 (minute)');
    refuses('1/a * * * *', 'failed to parse int from a (minute)');
    refuses('1/-1 * * * *', 'negative number (-1) not allowed (minute)');
    refuses('10-5/2 * * * *', 'beginning of range (10) beyond end of range (5): 10-5/2 (minute)');
    // N/step is N-max/step, so its start is still checked against the maximum.
    refuses('60/5 * * * *', 'beginning of range (60) beyond end of range (59): 60/5 (minute)');
  });

  it('reads comma lists part by part, dropping empty parts, and names the first bad part', () => {
    accepts('1,2,3 * * * *');
    accepts('1,,2 * * * *');
    accepts(', * * * *');
    refuses('1,60,99 * * * *', 'end of range (60) above maximum (59): 60 (minute)');
    refuses('0 0,24 * * *', 'end of range (24) above maximum (23): 24 (hour)');
  });

  it('checks every field, the last one included', () => {
    refuses('0 0 1 1 x', 'failed to parse int from x (day of week)');
    refuses('x 0 1 1 0', 'failed to parse int from x (minute)');
  });
});

describe("the reconciler's own schedule: node-cron's reasons", () => {
  it('lists every wrong field, each with its reason', () => {
    assert.equal(
      nodeCronProblem('61 * * * 9'),
      'minute: 61 is a invalid expression for minute; dayOfWeek: 9 is a invalid expression for week day',
    );
  });
});
