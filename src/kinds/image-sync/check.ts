/** ImageSync checks a JSON Schema cannot express. Pure. */
import { ImageGitopsError } from '../../core/errors.js';
import { copyPairFor, effectiveMode, singleSourceReference } from './naming.js';
import { scheduleToCron } from './schedule.js';
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
  if (mode === 'Recurrent') {
    if (!spec.schedule)
      problems.push({
        field: '/spec/schedule',
        message: 'Recurrent needs a schedule like 15m, 1d or a cron expression',
      });
    if (spec.tags) {
      problems.push({
        field: '/spec/tags',
        message: 'Recurrent copies one tag; use OnceByTag for a tag selector',
      });
    }
  }
  if (spec.schedule !== undefined && scheduleToCron(spec.schedule) === undefined) {
    problems.push({
      field: '/spec/schedule',
      message: `"${spec.schedule}" is neither a frequency (30s, 15m, 2h, 1d, 1w) nor a five-field cron expression`,
    });
  }
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
