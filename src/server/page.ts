import { createHash } from 'node:crypto';
import { formatLocation, type Problem } from '../core/errors.js';
import { redactText } from '../core/logger.js';
import type { SyncHistoryEntry } from '../status/history.js';
import type { StoredState } from '../status/store.js';
import type { ManifestStatus, ObjectStatus, SyncReport } from '../status/types.js';

/**
 * The read-only status page: one server-rendered HTML document, no script at all, one inline style sheet
 * allowed by its hash. Filters are a GET form (so they survive the refresh and can be bookmarked), and the
 * page reloads itself with `<meta http-equiv="refresh">`. Everything shown is escaped, and free text goes
 * through the logger's URL-credential mask: the page shows what `/status` shows, never a Secret's value
 * (statuses name Secrets, they do not hold them).
 */
export interface PageData {
  /** The last sync's report on this replica (undefined on a follower or before the first sync). */
  report?: SyncReport;
  /**
   * Without a report (a follower, or a leader before its first sync): the status the leader last stored,
   * read from its ConfigMaps, so that whichever pod a port-forward lands on shows the state.
   */
  stored?: Pick<StoredState, 'commit' | 'manifests' | 'fileProblems' | 'sourceError'>;
  history: readonly SyncHistoryEntry[];
  leader: boolean;
  instance: string;
  namespace: string;
}

export interface PageSettings {
  /** `{commit}`, `{path}`, `{line}` template of a file's web view (GitHub, GitLab, Gitea). */
  sourceUrl?: string;
  /** 0: no self-refresh. */
  refreshSeconds: number;
}

export interface PageQuery {
  kind?: string;
  /** A result, or `failing` for Invalid and Failed. */
  result?: string;
  /** Case-insensitive text in the key, file, message, problems, objects or details. */
  q?: string;
}

const CSS = `
body{font:14px/1.4 system-ui,sans-serif;margin:0 1.5rem 2rem;color:#1d1d1f;background:#fafafa}
h1{font-size:1.3rem;margin:1rem 0 .3rem}h2{font-size:1.1rem;margin:1.5rem 0 .5rem}
.meta{color:#555}.mono,code{font-family:ui-monospace,monospace;font-size:12.5px}
.badge{display:inline-block;padding:0 .45em;border-radius:.6em;font-size:12px;font-weight:600;background:#ddd}
.Applied,.Unchanged,.Healthy,.Succeeded,.NoChange{background:#d3f2d9;color:#11602a}
.Invalid,.Failed,.Degraded{background:#fbd5d5;color:#8a1010}
.PartiallyFailed,.Progressing,.Planned,.Suspended{background:#fdf0c4;color:#6b4d00}
.Unknown{background:#e6e6e6;color:#444}
form.filters{display:flex;gap:.6rem;align-items:end;flex-wrap:wrap;margin:.6rem 0}
form.filters label{display:flex;flex-direction:column;font-size:12px;color:#555}
section.manifest{background:#fff;border:1px solid #ddd;border-radius:6px;padding:.5rem .8rem;margin:.5rem 0}
section.manifest h3{font-size:1rem;margin:0}
ul.problems{margin:.3rem 0;padding-left:1.2rem;color:#8a1010}
table{border-collapse:collapse;width:100%;margin:.3rem 0}
th,td{text-align:left;padding:.15rem .5rem;border-bottom:1px solid #eee;vertical-align:top}
th{font-size:12px;color:#555}
.error{background:#fbd5d5;border:1px solid #e99;padding:.4rem .8rem;border-radius:6px}
`;

/** The style sheet's CSP hash: the only inline content the page's policy allows. */
export const PAGE_STYLE_HASH = `sha256-${createHash('sha256').update(CSS).digest('base64')}`;

/** No script, no frames, no foreign fetches; forms post only here. */
export const PAGE_CSP = [
  "default-src 'none'",
  `style-src '${PAGE_STYLE_HASH}'`,
  "img-src 'self'",
  "form-action 'self'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

const RESULTS = ['Applied', 'Unchanged', 'Planned', 'Invalid', 'Failed'];

export function escapeHtml(value: unknown): string {
  return String(value ?? '').replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );
}

/** Escaped, with credentials in URLs masked: the one way free text reaches the page. */
function text(value: unknown): string {
  return escapeHtml(redactText(String(value ?? '')));
}

function badge(state: string | undefined): string {
  return state ? `<span class="badge ${escapeHtml(state)}">${escapeHtml(state)}</span>` : '';
}

/** A file of the config repo at a commit, linked through the template when there is one. */
export function sourceLink(
  template: string | undefined,
  commit: string | undefined,
  file: string,
  line?: number,
): string | undefined {
  if (!template || !commit || !file) return undefined;
  const path = file.split('/').map(encodeURIComponent).join('/');
  return template
    .replaceAll('{commit}', encodeURIComponent(commit))
    .replaceAll('{path}', path)
    .replaceAll('{line}', String(line ?? 1));
}

function fileRef(
  settings: PageSettings,
  commit: string | undefined,
  file: string,
  line?: number,
  label?: string,
) {
  const shown = text(label ?? `${file}${line ? `:${line}` : ''}`);
  const href = sourceLink(settings.sourceUrl, commit, file, line);
  return href
    ? `<a class="mono source" href="${escapeHtml(href)}" rel="noreferrer noopener">${shown}</a>`
    : `<span class="mono source">${shown}</span>`;
}

function problemItem(settings: PageSettings, commit: string, problem: Problem): string {
  const where = problem.location
    ? `${fileRef(settings, commit, problem.location.file, problem.location.line, formatLocation(problem.location))}: `
    : '';
  return `<li class="problem">${where}${text(problem.message)} <code>[${escapeHtml(problem.code)}]</code></li>`;
}

function objectRow(o: ObjectStatus): string {
  const ref = `${o.kind} ${o.namespace ? `${o.namespace}/` : ''}${o.name}`;
  return `<tr class="object"><td class="mono">${text(ref)}</td><td>${escapeHtml(o.outcome)}</td><td>${badge(o.health)}</td><td>${text(o.message ?? '')}</td></tr>`;
}

type Row = Record<string, unknown>;

/** The kinds' image facts (status/details.ts) as small tables, the summary first. */
function detailsBlock(details: Record<string, unknown> | undefined): string {
  if (!details) return '';
  const parts: string[] = [];
  if (details.observed) parts.push(`<p class="observed">${text(details.observed)}</p>`);
  const tables: Array<[string, string, string[]]> = [
    ['pending', 'to copy', ['sourceRef', 'digest']],
    ['missing', 'missing at source', ['ref']],
    ['images', 'images', ['sourceRef', 'backup', 'state', 'digest', 'message']],
    ['builds', 'builds', ['job', 'phase', 'image', 'digest', 'durationSeconds', 'message']],
  ];
  for (const [key, title, columns] of tables) {
    const rows = details[key];
    if (!Array.isArray(rows) || rows.length === 0) continue;
    const more = Number(details[`${key}More`] ?? 0);
    parts.push(
      `<table class="details ${key}"><caption>${title}${more ? ` (and ${more} more)` : ''}</caption><tr>${columns.map((c) => `<th>${c}</th>`).join('')}</tr>${(
        rows as Row[]
      )
        .map((r) => `<tr>${columns.map((c) => `<td class="mono">${text(r[c] ?? '')}</td>`).join('')}</tr>`)
        .join('')}</table>`,
    );
  }
  return parts.length > 0 ? `<div class="images">${parts.join('')}</div>` : '';
}

/**
 * Who last changed the manifest and in which commit (its file linked at that commit), or where the
 * reconciler first met it; a status stored before this was kept shows the sync's commit.
 */
function changedInText(settings: PageSettings, m: ManifestStatus): string {
  const c = m.changedIn;
  if (!c) return `<span class="mono">${escapeHtml(m.commit.slice(0, 12))}</span> by ${text(m.author)}`;
  const sha = escapeHtml(c.sha.slice(0, 12));
  const href = sourceLink(settings.sourceUrl, c.sha, m.file, m.line);
  const commit = href
    ? `<a class="mono" href="${escapeHtml(href)}">${sha}</a>`
    : `<span class="mono">${sha}</span>`;
  return `<span class="changed-in">${c.firstSeen ? 'first seen in' : 'changed in'} ${commit} by ${text(c.author)}</span>`;
}

function manifestSection(settings: PageSettings, m: ManifestStatus): string {
  const where = m.file ? fileRef(settings, m.commit, m.file, m.line) : '<span class="meta">not in Git</span>';
  const objects =
    m.objects.length > 0
      ? `<details class="objects"><summary>${m.objects.length} object(s)</summary><table><tr><th>object</th><th>outcome</th><th>health</th><th>message</th></tr>${m.objects.map(objectRow).join('')}</table></details>`
      : '';
  return `<section class="manifest" data-key="${escapeHtml(m.key)}" data-kind="${escapeHtml(m.kind)}" data-result="${escapeHtml(m.result)}">
<h3>${badge(m.result)} ${badge(m.health)} <span class="kind">${text(m.kind)}</span> <span class="name">${text(m.key.startsWith(`${m.kind}/`) ? m.key.slice(m.kind.length + 1) : m.key)}</span></h3>
<div class="meta">${where} · ${changedInText(settings, m)}${m.message ? ` · <span class="message">${text(m.message)}</span>` : ''}</div>
${m.problems.length > 0 ? `<ul class="problems">${m.problems.map((p) => problemItem(settings, m.commit, p)).join('')}</ul>` : ''}
${detailsBlock(m.details)}${objects}</section>`;
}

/** Whether a manifest passes the filters. The text filter reads what the page shows of it. */
export function matches(m: ManifestStatus, query: PageQuery): boolean {
  if (query.kind && m.kind !== query.kind) return false;
  if (query.result === 'failing') {
    if (m.result !== 'Invalid' && m.result !== 'Failed') return false;
  } else if (query.result && m.result !== query.result) return false;
  const needle = query.q?.trim().toLowerCase();
  if (!needle) return true;
  const haystack = [
    m.key,
    m.file,
    m.message,
    m.author,
    m.changedIn?.author ?? '',
    m.changedIn?.sha ?? '',
    ...m.problems.map((p) => `${formatLocation(p.location)} ${p.message} ${p.code}`),
    ...m.objects.map((o) => `${o.kind} ${o.namespace ?? ''}/${o.name} ${o.message ?? ''}`),
    JSON.stringify(m.details ?? {}),
  ]
    .join('\n')
    .toLowerCase();
  return haystack.includes(needle);
}

function option(value: string, label: string, selected: string | undefined): string {
  return `<option value="${escapeHtml(value)}"${value === (selected ?? '') ? ' selected' : ''}>${escapeHtml(label)}</option>`;
}

function filtersForm(manifests: readonly ManifestStatus[], query: PageQuery): string {
  const kinds = [...new Set(manifests.map((m) => m.kind))].sort();
  return `<form class="filters" method="get" action="/">
<label>kind<select name="kind" id="filter-kind">${option('', 'all', query.kind)}${kinds.map((k) => option(k, k, query.kind)).join('')}</select></label>
<label>result<select name="result" id="filter-result">${option('', 'all', query.result)}${option('failing', 'failing (Invalid, Failed)', query.result)}${RESULTS.map((r) => option(r, r, query.result)).join('')}</select></label>
<label>text<input type="search" name="q" id="filter-text" value="${escapeHtml(query.q ?? '')}"></label>
<button type="submit" id="filter-apply">filter</button> <a href="/">clear</a></form>`;
}

function historyTable(history: readonly SyncHistoryEntry[]): string {
  if (history.length === 0) return '<p class="meta">no sync recorded yet</p>';
  const rows = history.map((e) => {
    const c = e.counts;
    return `<tr class="sync" data-result="${escapeHtml(e.result)}"><td class="mono">${escapeHtml(e.startedAt)}</td><td>${badge(e.result)}</td><td>${escapeHtml(e.trigger)}</td><td class="mono">${escapeHtml(e.commit?.slice(0, 12) ?? '-')}</td><td>${text(e.author ?? '')}</td><td>${text(e.subject ?? '')}</td><td>${e.seconds.toFixed(2)}s</td><td>${c.applied} applied, ${c.pruned} pruned, ${c.unchanged} unchanged, ${c.failed} failed</td><td>${e.failing} of ${e.manifests}</td><td>${text(e.error ?? '')}</td></tr>`;
  });
  return `<table id="history"><tr><th>started</th><th>result</th><th>trigger</th><th>commit</th><th>author</th><th>subject</th><th>took</th><th>objects</th><th>failing</th><th>error</th></tr>${rows.join('')}</table>`;
}

function summary(data: PageData): string {
  const r = data.report;
  if (!r) {
    const role = data.leader
      ? 'the first sync of this replica is running'
      : 'this replica is a follower: the leader syncs';
    const stored = data.stored;
    const stale = stored?.sourceError
      ? `<p class="error" id="sync-error">STALE since ${escapeHtml(stored.sourceError.since)}: ${text(stored.sourceError.message)}</p>`
      : '';
    return `<p class="meta" id="last-sync">${role}${stored ? `; shown: the status stored at <span class="mono">${escapeHtml(stored.commit?.slice(0, 12) ?? '-')}</span>` : ''}</p>${stale}`;
  }
  const commit = r.commit
    ? `<span class="mono">${escapeHtml(r.commit.sha.slice(0, 12))}</span> by ${text(r.commit.author)}: ${text(r.commit.message.split('\n')[0])}`
    : 'no commit';
  const error = r.error
    ? `<p class="error" id="sync-error">${text(`${formatLocation(r.error.location)} ${r.error.message}`.trim())} <code>[${escapeHtml(r.error.code)}]</code></p>`
    : '';
  return `<p id="last-sync">last sync ${badge(r.result)} at ${commit} · ${escapeHtml(r.trigger)} · finished ${escapeHtml(r.finishedAt)} in ${r.durationSeconds.toFixed(2)}s</p>${error}`;
}

export function renderStatusPage(data: PageData, settings: PageSettings, query: PageQuery = {}): string {
  const manifests = data.report?.manifests ?? data.stored?.manifests ?? [];
  const shown = manifests.filter((m) => matches(m, query));
  const failing = manifests.filter((m) => m.result === 'Invalid' || m.result === 'Failed').length;
  const fileProblems = data.report?.fileProblems ?? data.stored?.fileProblems ?? [];
  const commit = data.report?.commit?.sha ?? data.stored?.commit;
  const refresh =
    settings.refreshSeconds > 0 ? `<meta http-equiv="refresh" content="${settings.refreshSeconds}">` : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">${refresh}
<title>image-gitops · ${escapeHtml(data.instance)}</title><style>${CSS}</style></head>
<body>
<h1>image-gitops <span class="meta">${escapeHtml(data.instance)} in ${escapeHtml(data.namespace)}</span></h1>
${summary(data)}
<p class="meta" id="counts">${manifests.length} manifest(s), ${failing} failing, ${fileProblems.length} file problem(s); showing ${shown.length}</p>
${
  fileProblems.length > 0
    ? `<h2>File problems</h2><ul class="problems" id="file-problems">${fileProblems.map((p) => problemItem(settings, commit ?? '', p)).join('')}</ul>`
    : ''
}
<h2>Manifests</h2>
${filtersForm(manifests, query)}
<div id="manifests">${shown.map((m) => manifestSection(settings, m)).join('\n')}</div>
<h2>Sync history</h2>
${historyTable(data.history)}
</body></html>
`;
}

/** The login form shown when a token is required and none was given. */
export function renderLoginPage(message: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>image-gitops · sign in</title><style>${CSS}</style></head>
<body><h1>image-gitops</h1><p class="meta">${escapeHtml(message)}</p>
<form method="post" action="/login"><label>token <input type="password" name="token" id="token" autocomplete="off"></label> <button type="submit" id="sign-in">sign in</button></form>
</body></html>
`;
}
