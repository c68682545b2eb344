/**
 * What `diff` prints, from one dry-run pass of the sync's pipeline: each change the sync would make (its
 * "after" the API server's answer to a server-side dry-run, a refusal an error), then what each manifest
 * would do to images. Pure: the command (main.ts) runs the pass and prints one of the three forms.
 */
import { formatProblem } from '../core/errors.js';
import { objectRef } from '../core/kube-object.js';
import type { ImagePlan } from '../kinds/types.js';
import type { Change, ChangeAction } from '../plan/change.js';
import type { SyncReport } from '../status/types.js';
import { formatManifest, formatProblems, unifiedDiff } from './format.js';
import { type DiffEntry, imagePlanActs, markdownDiff } from './markdown.js';

export interface ManifestImagePlan extends ImagePlan {
  manifest: string;
}

export interface DiffInput {
  report: SyncReport;
  changes: readonly Change[];
  /** Each manifest's image plan (rendered manifests that have one). */
  imagePlans: readonly ManifestImagePlan[];
}

export interface DiffOutput {
  text: string;
  markdown: string;
  json: unknown;
  /** As `kubectl diff`: 0 no change, 1 changes, 2 an error. */
  exitCode: number;
}

const shortDigest = (digest: string) => digest.replace(/^(sha256:[0-9a-f]{12})[0-9a-f]+$/, '$1…');

/** The image plan as text lines: the summary, then one line per copy, build or deletion. */
export function imagePlanLines(plan: ManifestImagePlan): string[] {
  const lines = [`images ${plan.manifest}: ${plan.summary}`];
  for (const c of plan.copies ?? [])
    lines.push(
      `    copy ${c.source}@${shortDigest(c.sourceDigest)} → ${c.destination}${c.destinationDigest ? ` (replaces ${shortDigest(c.destinationDigest)})` : ' (new)'}`,
    );
  if (plan.more) lines.push(`    ... and ${plan.more} more`);
  for (const b of plan.builds ?? [])
    lines.push(`    ${b.build ? 'build' : 'no build of'} ${b.image}: ${b.why}`);
  for (const d of plan.deletions ?? [])
    lines.push(
      d.state === 'delete'
        ? `    delete ${d.image}${d.digest ? `@${shortDigest(d.digest)}` : ''} (${d.why})`
        : `    not deleted (${d.state}) ${d.image}: ${d.why}`,
    );
  return lines;
}

export function diffOutput(input: DiffInput): DiffOutput {
  const { report } = input;
  const json: Array<{
    ref: string;
    manifest: string;
    action: ChangeAction;
    reason: string;
    reasonCode: string;
    error?: string;
    diff: string;
  }> = [];
  const entries: DiffEntry[] = [];
  for (const change of input.changes) {
    const { action, object, outcome: done } = change;
    const failed = done?.result === 'failed';
    if (!failed && (action === 'unchanged' || action === 'keep')) continue;
    const ref = objectRef(object);
    const after = action === 'delete' ? undefined : (done?.applied ?? object);
    const live = action === 'create' ? undefined : (change.live ?? object);
    const error = failed ? { error: done?.message ?? 'refused' } : {};
    json.push({
      ref,
      manifest: change.manifestKey,
      action,
      reason: change.reason.message,
      reasonCode: change.reason.code,
      ...error,
      diff: unifiedDiff(ref.replace(/ /g, '_'), live, after),
    });
    entries.push({
      ref,
      manifest: change.manifestKey,
      action,
      reason: change.reason.message,
      ...error,
      ...(live ? { live } : {}),
      ...(after ? { after } : {}),
    });
  }
  const acting = input.imagePlans.filter(imagePlanActs);
  const refused = json.filter((d) => d.error);
  const failing = report.manifests.filter((m) => m.result === 'Invalid' || m.result === 'Failed');
  const errors = refused.length + failing.length + report.fileProblems.length + (report.error ? 1 : 0);
  const text = [
    ...(report.fileProblems.length > 0 ? ['file problems:', formatProblems(report.fileProblems)] : []),
    ...report.manifests.filter((m) => m.problems.length > 0).map((m) => formatManifest(m)),
    ...json.map((d) =>
      d.error
        ? `### ${d.action} ${d.ref} REFUSED by the API server: ${d.error}`
        : `### ${d.action} ${d.ref} (${d.reason})\n${d.diff}`,
    ),
    ...acting.flatMap(imagePlanLines),
    `${json.length - refused.length} change(s), ${refused.length} refused, ${failing.length} failing manifest(s)${report.error ? `; ERROR ${formatProblem(report.error)}` : ''}`,
  ].join('\n');
  return {
    text,
    markdown: markdownDiff(report, entries, input.imagePlans),
    json: { report, changes: json, images: input.imagePlans },
    exitCode: errors > 0 || report.result === 'Failed' ? 2 : json.length > 0 ? 1 : 0,
  };
}
