import { createTwoFilesPatch } from 'diff';
import { stringify } from 'yaml';
import { formatProblem, type Problem } from '../core/errors.js';
import type { KubeObject } from '../core/kube-object.js';
import { isSecret, maskSecret } from '../core/secret-mask.js';
import { conditionsOf } from '../status/conditions.js';
import type { Condition, IgnoredFile, ManifestStatus, SyncReport } from '../status/types.js';

const RESULT_MARK: Record<string, string> = {
  Applied: '✔',
  Unchanged: '=',
  Planned: '~',
  Invalid: '✘',
  Failed: '✘',
};

export function formatProblems(problems: Problem[]): string {
  return problems.map((p) => `  ${formatProblem(p)}`).join('\n');
}

export function formatIgnored(ignored: IgnoredFile): string {
  return `${ignored.file}${ignored.line ? `:${ignored.line}` : ''}: ${ignored.reason}`;
}

/** `Ready=True ReconciliationSucceeded`; Reconciling and Stalled name their reason only when True. */
function formatCondition(condition: Condition): string {
  const said = condition.type === 'Ready' || condition.status === 'True';
  return `${condition.type}=${condition.status}${said ? ` ${condition.reason}` : ''}`;
}

/** The conditions on one line, and what a person must do when a retry cannot help. */
export function formatConditions(conditions: Condition[]): string[] {
  const lines = [`    ${conditions.map(formatCondition).join(', ')}`];
  const stalled = conditions.find((c) => c.type === 'Stalled' && c.status === 'True');
  if (stalled) lines.push(`    stalled: ${stalled.message}`);
  return lines;
}

export function formatManifest(status: ManifestStatus, verbose = false): string {
  const where = status.file ? ` (${status.file}${status.line ? `:${status.line}` : ''})` : '';
  const lines = [
    `${RESULT_MARK[status.result] ?? '?'} ${status.key}${where}: ${status.result}${status.message ? ` - ${status.message}` : ''} [health ${status.health}]`,
    ...formatConditions(conditionsOf(status)),
    ...(status.changedIn
      ? [
          `    ${status.changedIn.firstSeen ? 'first seen in' : 'changed in'} ${status.changedIn.sha.slice(0, 12)} by ${status.changedIn.author}`,
        ]
      : []),
  ];
  for (const problem of status.problems) lines.push(`    ${formatProblem(problem)}`);
  for (const o of status.objects) {
    if (!verbose && o.outcome === 'unchanged') continue;
    const ns = o.namespace ? `${o.namespace}/` : '';
    lines.push(
      `    ${o.outcome.padEnd(9)} ${o.kind} ${ns}${o.name}${o.health ? ` [${o.health}]` : ''}${o.message ? ` - ${o.message}` : ''}`,
    );
  }
  if (status.details?.observed) lines.push(`    ${String(status.details.observed)}`);
  return lines.join('\n');
}

export function formatReport(report: SyncReport, verbose = false): string {
  const lines: string[] = [];
  const commit = report.commit
    ? `${report.commit.sha.slice(0, 12)} by ${report.commit.author}: ${report.commit.message.split('\n')[0]}`
    : 'no commit';
  lines.push(`sync ${report.result} at ${commit}`);
  lines.push(
    `  ${report.counts.applied} applied, ${report.counts.unchanged} unchanged, ${report.counts.pruned} pruned, ${report.counts.kept} kept, ${report.counts.failed} failed in ${report.durationSeconds.toFixed(2)}s${report.fetchSkipped ? ' (no new commit: nothing fetched)' : ''}`,
  );
  if (report.error) lines.push(`  ERROR ${formatProblem(report.error)}`);
  if (report.fileProblems.length > 0) lines.push('file problems:', formatProblems(report.fileProblems));
  for (const status of report.manifests) lines.push(formatManifest(status, verbose));
  for (const ignored of report.ignored ?? []) lines.push(`- ignored ${formatIgnored(ignored)}`);
  return lines.join('\n');
}

/** Fields the server owns or fills in: never part of a readable diff. */
export function normalizeForDiff(object: KubeObject | undefined): unknown {
  if (!object) return undefined;
  const { status: _status, ...rest } = object;
  const {
    managedFields: _m,
    resourceVersion: _r,
    uid: _u,
    generation: _g,
    creationTimestamp: _c,
    ...metadata
  } = rest.metadata;
  return { ...rest, metadata };
}

export function unifiedDiff(
  name: string,
  liveObject: KubeObject | undefined,
  desiredObject: KubeObject | undefined,
): string {
  // A Secret's values never reach a diff: its keys do, marked changed or added against the other side.
  const live = liveObject && isSecret(liveObject) ? maskSecret(liveObject) : liveObject;
  const desired =
    desiredObject && isSecret(desiredObject) ? maskSecret(desiredObject, liveObject) : desiredObject;
  const before = live
    ? stringify(normalizeForDiff(live), { sortMapEntries: true, aliasDuplicateObjects: false })
    : '';
  const after = desired
    ? stringify(normalizeForDiff(desired), { sortMapEntries: true, aliasDuplicateObjects: false })
    : '';
  return createTwoFilesPatch(`live/${name}`, `git/${name}`, before, after, undefined, undefined, {
    context: 3,
  });
}
