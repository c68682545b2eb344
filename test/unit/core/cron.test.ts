// Two runners of cron expressions, two judges: the API server for a CronJob's schedule (its cases are in
// test/unit/manifests/repo-rules.test.ts and, against the real API server, test/integration/engine/
// cron-schedules.test.ts), node-cron for the reconciler's own SYNC_SCHEDULE.
import assert from 'node:assert/strict';
import { cronJobScheduleProblem, nodeCronProblem } from '../../../src/core/cron.js';

describe("the reconciler's own cron schedule (node-cron)", () => {
  it('accepts five fields, a seconds field and macros', () => {
    for (const expression of ['*/5 * * * *', '0 */10 * * * *', '* * * * * *', '@daily', ' 0 3 * * 1-5 '])
      assert.equal(nodeCronProblem(expression), undefined, expression);
  });

  it('refuses fields out of range and says which', () => {
    assert.match(nodeCronProblem('99 99 99 99 99') ?? '', /minute/);
    assert.ok(nodeCronProblem('61 * * * *'));
    assert.ok(nodeCronProblem('every day'));
  });
});

describe('the two judges differ where their runners do', () => {
  it('a seconds field and a day of week 7 run in the reconciler, not in a CronJob', () => {
    for (const expression of ['0 */10 * * * *', '0 0 * * 7']) {
      assert.equal(nodeCronProblem(expression), undefined, expression);
      assert.ok(cronJobScheduleProblem(expression), expression);
    }
  });
});
