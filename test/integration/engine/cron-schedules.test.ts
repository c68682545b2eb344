// `validate` must refuse exactly the schedules a sync would have refused: the CronJob's own judge is the API
// server. Each schedule goes to the real API server as a CronJob (server-side dry run) and to the check
// that validate and the loader use; both must agree.
import assert from 'node:assert/strict';
import { cronJobScheduleProblem } from '../../../src/core/cron.js';
import { controlPlane } from '../../support/control-plane.js';

const SCHEDULES = [
  '*/5 * * * *',
  '0 0 * * MON',
  '0 0 * * mon-fri',
  '0 0 ? * *',
  '0 0 1 JAN *',
  '0 0 31 2 *',
  '5/15 * * * *',
  '0-59/15 * * * *',
  '@daily',
  '@midnight',
  '@every 1h30m',
  '99 99 99 99 99',
  '60 * * * *',
  '0 24 * * *',
  '0 0 0 * *',
  '0 0 * 13 *',
  '0 0 * * 7',
  '0 0 L * *',
  '0 0 1W * *',
  '0 0 * * 5#3',
  '* * * * * *',
  '*/0 * * * *',
  '5-1 * * * *',
  '1-2-3 * * * *',
  '1/2/3 * * * *',
  'a * * * *',
  '1,,2 * * * *',
  ', * * * *',
  '+5 * * * *',
  '0 0 * * SUN,sat',
  '0 0 * JAN-DEC/2 *',
  '-1 * * * *',
  '@sometimes',
  '@every soon',
  'CRON_TZ=UTC 0 0 * * *',
  'TZ=UTC 0 0 * * *',
];

describe('cron schedules: the check and the API server agree', function () {
  this.timeout(120_000);

  it('accepts and refuses the same schedules as the API server', async () => {
    const cp = await controlPlane();
    const namespace = await cp.newNamespace('cron');
    const disagreements: string[] = [];
    for (const [i, schedule] of SCHEDULES.entries()) {
      let server: boolean;
      try {
        await cp.kubeApi.apply(
          {
            apiVersion: 'batch/v1',
            kind: 'CronJob',
            metadata: { name: `c${i}`, namespace },
            spec: {
              schedule,
              jobTemplate: {
                spec: {
                  template: {
                    spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] },
                  },
                },
              },
            },
          },
          { dryRun: true },
        );
        server = true;
      } catch {
        server = false;
      }
      const ours = cronJobScheduleProblem(schedule) === undefined;
      if (server !== ours) disagreements.push(`${schedule}: API server ${server}, check ${ours}`);
    }
    assert.deepEqual(disagreements, []);
  });
});
