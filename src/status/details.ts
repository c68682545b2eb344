/**
 * What a kind did to images, taken from its observed state for the manifest's status (`details`), the status
 * page and `/status`. Only named, plain fields are copied: the observed state also holds credentials (an
 * authfile, a pull Secret's auth) that must never reach a status. Lists are bounded, because the details are
 * stored with the status and a pattern can match thousands of tags.
 */
export const DETAILS_LIST_MAX = 25;

type Row = Record<string, string | number>;

function record(value: unknown): Record<string, unknown> | undefined {
  return value && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

/** Copies the listed fields of each entry (strings and numbers only), at most DETAILS_LIST_MAX entries. */
function rows(value: unknown, fields: readonly string[]): { rows: Row[]; more: number } | undefined {
  if (!Array.isArray(value) || value.length === 0) return undefined;
  const out: Row[] = [];
  for (const item of value.slice(0, DETAILS_LIST_MAX)) {
    const source = typeof item === 'string' ? { ref: item } : record(item);
    if (!source) continue;
    const row: Row = {};
    for (const field of fields) {
      const v = source[field];
      if (typeof v === 'string' || typeof v === 'number') row[field] = v;
    }
    out.push(row);
  }
  return { rows: out, more: Math.max(0, value.length - DETAILS_LIST_MAX) };
}

/**
 * ImageSync and ImageBackup: `pending` copies (source and digest) and `missing` sources; ImageSync: `truncated`
 * (its source's tag list stopped early), `unchecked` (immutable tags not asked again), `verification` (each
 * copy's signature verdict, with `verify`) and `waiting` (copies left for later syncs); ImageBackup: its
 * `images` (source, backup copy, state, digest); ImageBuild: its `builds` (Job, phase, image, pushed digest,
 * duration, why it failed). Counts where the kind has them. `observed` is the kind's one-line summary.
 */
export function imageDetails(observed: unknown): Record<string, unknown> | undefined {
  const o = record(observed);
  if (!o) return undefined;
  const details: Record<string, unknown> = {};
  if (typeof o.message === 'string') details.observed = o.message;
  for (const count of ['matched', 'upToDate', 'unchecked', 'waiting', 'budgetDeferred'] as const)
    if (typeof o[count] === 'number') details[count] = o[count];
  // ImageSync: the source's tag list stopped early (`Truncated`), which repository, why, how much was read.
  const truncated = rows([o.truncated], ['repository', 'reason', 'tags', 'pages', 'pageSize'])?.rows[0];
  if (truncated) details.truncated = truncated;
  const lists: Array<[string, readonly string[]]> = [
    ['pending', ['sourceRef', 'digest']],
    ['missing', ['ref']],
    // ImageSync with verify: each copy's signature verdict (Verified, NotSigned, BadSignature), where the signature
    // that verified was (`via`: its `.sig` tag or a referrer) and why.
    ['verification', ['sourceRef', 'digest', 'state', 'via', 'message']],
    ['images', ['sourceRef', 'backup', 'state', 'digest', 'message']],
    ['builds', ['job', 'phase', 'image', 'digest', 'durationSeconds', 'message']],
    // ImageSync `prune`: pushed tags no longer selected, deleted or why not (kinds/image-sync/deletions.ts).
    ['deletions', ['tag', 'state', 'digest', 'reason']],
    // A pull budget the copies met: pulls left, copies it defers and when the first of them fits.
    ['budget', ['registry', 'pulls', 'per', 'remaining', 'deferred', 'nextAt']],
  ];
  for (const [name, fields] of lists) {
    const list = rows(o[name], fields);
    if (!list) continue;
    details[name] = list.rows;
    if (list.more > 0) details[`${name}More`] = list.more;
  }
  return Object.keys(details).length > 0 ? details : undefined;
}

/**
 * Copies the details say are pending: the listed ones, how many more were left off the list, and those a
 * pull budget defers to a later window (`budgetDeferred`).
 */
export function pendingCopyCount(details: Record<string, unknown> | undefined): number {
  const pending = details?.pending;
  const count = (value: unknown) => (Number.isFinite(Number(value ?? 0)) ? Number(value ?? 0) : 0);
  return (
    (Array.isArray(pending) ? pending.length : 0) +
    count(details?.pendingMore) +
    count(details?.budgetDeferred)
  );
}
