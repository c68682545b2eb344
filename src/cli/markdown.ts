import { createHash } from 'node:crypto';
import type { KubeObject } from '../core/kube-object.js';
import { isSecret } from '../core/secret-mask.js';
import type { ImagePlan } from '../kinds/types.js';
import type { ChangeAction } from '../plan/change.js';
import type { SyncReport } from '../status/types.js';
import { unifiedDiff } from './format.js';

/** A string value longer than this is shown by size and hash, not dumped into a pull request. */
export const LARGE_VALUE_BYTES = 1024;

export interface DiffEntry {
  ref: string;
  manifest: string;
  action: ChangeAction;
  reason: string;
  error?: string;
  live?: KubeObject;
  after?: KubeObject;
}

function digest(bytes: Buffer): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex').slice(0, 12)}`;
}

function summary(bytes: Buffer, what: string): string {
  return `(${what}, ${bytes.length} bytes, ${digest(bytes)})`;
}

/**
 * An object with binary data (`binaryData`) and large values replaced by their size and hash. A Secret is
 * left to the mask (src/core/secret-mask.ts): not even a hash of its values is shown.
 */
export function summarizeLarge(object: KubeObject | undefined): KubeObject | undefined {
  if (!object || isSecret(object)) return object;
  const walk = (value: unknown, key: string | undefined, inBinary: boolean): unknown => {
    if (typeof value === 'string') {
      if (inBinary) return summary(Buffer.from(value, 'base64'), 'binary');
      if (Buffer.byteLength(value) > LARGE_VALUE_BYTES) return summary(Buffer.from(value), 'large value');
      return value;
    }
    if (Array.isArray(value)) return value.map((item) => walk(item, undefined, false));
    if (value !== null && typeof value === 'object')
      return Object.fromEntries(
        Object.entries(value).map(([k, v]) => [k, walk(v, k, key === 'binaryData' || inBinary)]),
      );
    return value;
  };
  return walk(object, undefined, false) as KubeObject;
}

const html = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** A fence longer than any run of backticks in the text, so that a diff cannot close it. */
function fenced(text: string, lang: string): string {
  const longest = Math.max(2, ...(text.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(longest + 1);
  return `${fence}${lang}\n${text.trimEnd()}\n${fence}`;
}

/** An image plan that would do something (a copy, a build, a deletion) or refuses a deletion. */
export function imagePlanActs(plan: ImagePlan): boolean {
  return (
    (plan.copies?.length ?? 0) > 0 ||
    (plan.builds ?? []).some((b) => b.build) ||
    (plan.deletions ?? []).some((d) => d.state === 'delete' || d.state === 'refused')
  );
}

/**
 * What the manifests would do to images: per manifest its summary, then a table of the copies (source
 * digest, destination, the digest replaced there), the builds with why, and the pushed tags deleted (or why
 * not). Manifests doing nothing are left out.
 */
function imagesSection(plans: ReadonlyArray<ImagePlan & { manifest: string }>): string[] {
  const acting = plans.filter(imagePlanActs);
  if (acting.length === 0) return [];
  const lines = ['', '### Images', ''];
  for (const plan of acting) {
    lines.push(`**\`${cell(plan.manifest)}\`**: ${cell(plan.summary)}`, '');
    if (plan.copies?.length) {
      lines.push('| source | digest | destination | replaces |', '|---|---|---|---|');
      for (const c of plan.copies)
        lines.push(
          `| \`${cell(c.source)}\` | \`${c.sourceDigest}\` | \`${cell(c.destination)}\` | ${c.destinationDigest ? `\`${c.destinationDigest}\`` : 'new'} |`,
        );
      if (plan.more) lines.push(`| … and ${plan.more} more | | | |`);
      lines.push('');
    }
    for (const b of plan.builds ?? [])
      lines.push(`- ${b.build ? '🔨 **build**' : 'no build of'} \`${cell(b.image)}\`: ${cell(b.why)}`);
    if (plan.builds?.length) lines.push('');
    if (plan.deletions?.length) {
      lines.push('| pushed tag | deletion | digest | why |', '|---|---|---|---|');
      for (const d of plan.deletions)
        lines.push(
          `| \`${cell(d.image)}\` | ${d.state === 'delete' ? '🗑️ **delete**' : d.state === 'refused' ? '⛔ **refused**' : cell(d.state)} | ${d.digest ? `\`${d.digest}\`` : ''} | ${cell(d.why)} |`,
        );
      lines.push('');
    }
  }
  return lines;
}

const COLUMNS: ChangeAction[] = ['create', 'update', 'replace', 'delete'];

/**
 * The diff for a pull request: a summary table per manifest (its result and how many objects each action
 * touches), then per manifest one collapsible diff per object; refusals and manifest problems in the open.
 */
export function markdownDiff(
  report: SyncReport,
  entries: DiffEntry[],
  imagePlans: ReadonlyArray<ImagePlan & { manifest: string }> = [],
): string {
  const byManifest = new Map<string, DiffEntry[]>();
  for (const e of entries) byManifest.set(e.manifest, [...(byManifest.get(e.manifest) ?? []), e]);
  const refused = entries.filter((e) => e.error).length;
  const failing = report.manifests.filter((m) => m.result === 'Invalid' || m.result === 'Failed');
  const commit = report.commit ? ` at \`${report.commit.sha.slice(0, 12)}\`` : '';
  const lines: string[] = [
    `## image-gitops diff${commit}`,
    '',
    `${entries.length - refused} change(s), ${refused} refused by the API server, ${failing.length} failing manifest(s)`,
    '',
  ];
  if (report.error) lines.push(`> **Error** \`${report.error.code}\`: ${cell(report.error.message)}`, '');
  if (report.fileProblems.length > 0) {
    lines.push('**File problems**', '');
    for (const p of report.fileProblems)
      lines.push(
        `- \`${p.location?.file ?? ''}:${p.location?.line ?? ''}\` ${cell(p.message)} (\`${p.code}\`)`,
      );
    lines.push('');
  }
  lines.push(`| manifest | file | result | ${COLUMNS.join(' | ')} | refused |`);
  lines.push(`|---|---|---|${COLUMNS.map(() => '---:').join('|')}|---:|`);
  for (const m of report.manifests) {
    const mine = byManifest.get(m.key) ?? [];
    const count = (action: ChangeAction) => mine.filter((e) => e.action === action && !e.error).length;
    const where = m.file ? `\`${m.file}${m.line ? `:${m.line}` : ''}\`` : '';
    lines.push(
      `| \`${cell(m.key)}\` | ${where} | ${m.result} | ${COLUMNS.map(count).join(' | ')} | ${mine.filter((e) => e.error).length} |`,
    );
  }
  lines.push(...imagesSection(imagePlans));
  for (const m of report.manifests) {
    const mine = byManifest.get(m.key) ?? [];
    if (mine.length === 0 && m.problems.length === 0) continue;
    lines.push('', `### \`${m.key}\``, '');
    for (const p of m.problems) lines.push(`- ❌ ${cell(p.message)} (\`${p.code}\`)`);
    for (const e of mine) {
      if (e.error) {
        lines.push(`- ❌ **${e.action}** \`${e.ref}\` refused by the API server: ${cell(e.error)}`);
        continue;
      }
      const diff = unifiedDiff(e.ref.replace(/ /g, '_'), summarizeLarge(e.live), summarizeLarge(e.after));
      lines.push(
        '<details>',
        `<summary><b>${e.action}</b> <code>${html(e.ref)}</code>: ${html(e.reason)}</summary>`,
        '',
        fenced(diff, 'diff'),
        '',
        '</details>',
      );
    }
  }
  return lines.join('\n');
}
