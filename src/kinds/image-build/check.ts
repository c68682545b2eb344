/** Checks of an ImageBuild spec that its schema cannot express. Pure. */
import { ImageGitopsError } from '../../core/errors.js';
import { scheduleProblem, scheduleToCron } from '../../core/schedule.js';
import { budgetProblems } from '../../jobs/copy-budget.js';
import { normaliseRegistryHost, parseImageReference } from '../../registry/references.js';
import type { ImageBuildSpec } from './types.js';

export function checkImageBuild(spec: ImageBuildSpec): Array<{ field: string; message: string }> {
  const problems: Array<{ field: string; message: string }> = [];
  try {
    const reference = parseImageReference(spec.image);
    if (reference.tag || reference.digest) {
      problems.push({ field: '/spec/image', message: 'give the repository only; the tag goes in spec.tag' });
    }
  } catch (error) {
    if (error instanceof ImageGitopsError) problems.push({ field: '/spec/image', message: error.message });
    else throw error;
  }
  if (spec.inline === undefined && !spec.context) {
    problems.push({
      field: '/spec',
      message: 'give spec.context (a folder with a Dockerfile) or spec.inline',
    });
  }
  if (spec.inline !== undefined && spec.dockerfile !== undefined) {
    problems.push({
      field: '/spec/dockerfile',
      message: 'spec.dockerfile and spec.inline exclude each other',
    });
  }
  if (spec.schedule !== undefined && !scheduleToCron(spec.schedule)) {
    const problem = scheduleProblem(spec.schedule);
    problems.push({
      field: '/spec/schedule',
      message:
        problem ??
        `a CronJob cannot rebuild every ${spec.schedule} at even intervals: use a frequency that divides the hour or the day (30m, 1h, 6h, 1d), 1w, or a cron expression`,
    });
  }
  const hosts = (spec.registries ?? []).map((r) => normaliseRegistryHost(r.host));
  hosts.forEach((host, i) => {
    if (hosts.indexOf(host) !== i)
      problems.push({ field: `/spec/registries/${i}/host`, message: `${host} is listed twice` });
  });
  // A budget's window the schema cannot check: a second or more.
  problems.push(...budgetProblems(spec));
  return problems;
}
