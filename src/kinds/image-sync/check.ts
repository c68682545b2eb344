/** ImageSync checks a JSON Schema cannot express. Pure. */
import { ImageGitopsError } from '../../core/errors.js';
import { scheduleProblem } from '../../core/schedule.js';
import { budgetProblems } from '../../jobs/copy-budget.js';
import { cronBudgetProblems } from './cron-budget.js';
import { pruneProblems } from './deletions.js';
import { copyPairFor, effectiveMode, singleSourceReference } from './naming.js';
import { recurrenceOfSpec } from './recurrence.js';
import type { ImageSyncSpec } from './spec.js';
import { selectorProblems } from './tags.js';

export function checkImageSync(spec: ImageSyncSpec): Array<{ field: string; message: string }> {
  const problems: Array<{ field: string; message: string }> = [];
  const mode = effectiveMode(spec);
  if (spec.source.tag && spec.source.digest) {
    problems.push({ field: '/spec/source', message: 'give either tag or digest, not both' });
  }
  if (spec.tags && (spec.source.tag || spec.source.digest)) {
    problems.push({
      field: '/spec/tags',
      message: 'a tag selector picks the tags: remove source.tag/digest',
    });
  }
  // Recurrent without a schedule runs every 5m, image-operator's CRD default.
  if (spec.schedule !== undefined) {
    const problem = scheduleProblem(spec.schedule);
    if (problem) problems.push({ field: '/spec/schedule', message: problem });
  }
  const recurrence = mode === 'Recurrent' ? recurrenceOfSpec(spec) : undefined;
  if (spec.verify && recurrence?.kind === 'cron' && recurrence.everyMs === undefined) {
    problems.push({
      field: '/spec/schedule',
      message:
        'Recurrent with verify takes a frequency (15m, 1h30m, 1d), not a cron expression: the reconciler verifies each copy before its Job',
    });
  } else if (spec.tags && recurrence?.kind === 'cron' && recurrence.everyMs === undefined) {
    problems.push({
      field: '/spec/schedule',
      message:
        'Recurrent with a tag selector takes a frequency (15m, 1h30m, 1d), not a cron expression: the reconciler times it',
    });
  }
  problems.push(...pruneProblems(spec), ...budgetProblems(spec), ...cronBudgetProblems(spec));
  for (const p of selectorProblems(spec.tags ?? {}))
    problems.push({ field: `/spec/tags/${p.field}`, message: p.message });
  try {
    copyPairFor(spec, singleSourceReference(spec));
  } catch (error) {
    const message =
      error instanceof ImageGitopsError || error instanceof Error ? error.message : String(error);
    problems.push({ field: '/spec', message });
  }
  return problems;
}
