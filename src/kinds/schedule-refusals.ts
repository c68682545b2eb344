import { cronJobScheduleProblem } from '../core/cron.js';
import { scheduleToCron } from '../core/schedule.js';

/**
 * What a sync would refuse later and `validate` must refuse too: a `schedule` that becomes a cron the API
 * server's parser refuses. For the kinds with a schedule (ImageSync, ImageBuild).
 */
export function scheduleRefusals(spec: { schedule?: unknown }): Array<{ field: string; message: string }> {
  const { schedule } = spec;
  if (typeof schedule !== 'string') return [];
  const cron = scheduleToCron(schedule);
  const problem = cron === undefined ? undefined : cronJobScheduleProblem(cron);
  return problem
    ? [{ field: '/spec/schedule', message: `"${schedule}" is not a valid cron schedule: ${problem}` }]
    : [];
}
