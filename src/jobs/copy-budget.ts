/**
 * Copies within pull budgets (registry/pull-budget.ts), for any kind with copy Jobs (ImageSync, ImageBackup):
 * which pending copies get a Job this sync, newest first, within what each source's budget has left, and
 * which are deferred, how many and until when. A copy costs the manifest GETs skopeo makes at its source
 * (measured against distribution: 1 for one image, 1 + one per platform for an index copied with `--all`,
 * 2 for one platform of an index, 1 more per cosign tag copied beside it). The planning is pure; the book
 * it reserves in is the sync's.
 */
import type { Settings } from '../config/settings.js';
import { DURATION_EXAMPLES, formatDuration, parseDuration } from '../core/duration.js';
import { ImageGitopsError } from '../core/errors.js';
import type { KubeObject } from '../core/kube-object.js';
import type { HttpResponse } from '../registry/http.js';
import { budgetKey, type PullBudget, type PullBudgetBook } from '../registry/pull-budget.js';
import { normaliseRegistryHost } from '../registry/references.js';
import { type RegistriesField, resolveRegistry } from '../registry/registry-access.js';
import { liveCopies, type PendingCopy } from './copy-jobs.js';

/** Platforms assumed in an index copied whole, when the budget does not say. */
export const DEFAULT_PLATFORMS_PER_INDEX = 2;

/** A source's budget as this manifest declares it, under its key (host and who pulls). */
export interface SourceBudget {
  key: string;
  budget: PullBudget;
}

/** What a kind's status says of one budget its copies met this sync. */
export interface BudgetReport {
  /** The budget's key: `docker.io as robot`, `quay.io anonymous`. */
  registry: string;
  pulls: number;
  per: string;
  /** Pulls left after the copies planned this sync. */
  remaining: number;
  /** Copies deferred by this budget. */
  deferred: number;
  /** When the first deferred copy fits (ISO time); absent when none is deferred or it never fits. */
  nextAt?: string;
}

/** The declared budget of `host` for this manifest (its own `registries` entry, else SYNC_REGISTRIES). */
export function declaredBudget(
  host: string,
  spec: RegistriesField,
  settings: Settings,
  namespace: string,
  username: string | undefined,
): SourceBudget | undefined {
  const declared = resolveRegistry(host, spec, settings, namespace).budget;
  if (!declared) return undefined;
  const perMs = parseDuration(declared.per);
  if (perMs === undefined || perMs < 1000)
    throw new ImageGitopsError(
      'OBSERVE_FAILED',
      `the pull budget of ${host} has per: "${declared.per}": give a window of a second or more (${DURATION_EXAMPLES})`,
    );
  return {
    key: budgetKey(normaliseRegistryHost(host), username),
    budget: {
      pulls: declared.pulls,
      perMs,
      platformsPerIndex: declared.platformsPerIndex ?? DEFAULT_PLATFORMS_PER_INDEX,
    },
  };
}

/** What the schema cannot say of each `registries[].budget`: a window of at least a second. */
export function budgetProblems(spec: RegistriesField): Array<{ field: string; message: string }> {
  return (spec.registries ?? []).flatMap((entry, i) => {
    const per = entry.budget?.per;
    if (per === undefined || (parseDuration(per) ?? 0) >= 1000) return [];
    return [
      {
        field: `/spec/registries/${i}/budget/per`,
        message: `"${per}" is no window: give a duration of a second or more (${DURATION_EXAMPLES})`,
      },
    ];
  });
}

const INDEX_TYPES = new Set([
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
]);

/**
 * Manifest GETs one copy makes at its source: `mediaType` as the source's HEAD answered (unknown counts as
 * an index: never under-counted), `platform` when one platform is copied, and its cosign tags.
 */
export function copyPulls(
  mediaType: string | undefined,
  options: { platform?: string; platformsPerIndex: number; artifactTags?: number; referrers?: number },
): number {
  const index = mediaType === undefined || INDEX_TYPES.has(mediaType);
  const image = !index ? 1 : options.platform ? 2 : 1 + options.platformsPerIndex;
  return image + (options.artifactTags ?? 0) + (options.referrers ?? 0);
}

export interface BudgetPlanInput {
  /** Newest first. */
  pending: readonly PendingCopy[];
  /** `sourceRef@digest` of copies live Jobs make. */
  covered: ReadonlySet<string>;
  /** The source budget of a copy, if any. */
  budgetOf(copy: PendingCopy): SourceBudget | undefined;
  /** Its cost in manifest GETs. */
  pullsOf(copy: PendingCopy, budget: PullBudget): number;
  /** Pulls left now, by key. */
  left: ReadonlyMap<string, number>;
}

export interface BudgetPlan {
  /** The pending copies that may get a Job (those live Jobs make included), in order; budgeted ones priced. */
  pending: PendingCopy[];
  /** By key: pulls planned, copies deferred and the GETs the first of them needs. */
  byKey: Map<string, { planned: number; deferred: number; firstNeeds?: number }>;
}

/**
 * Newest first within each budget: a copy fits when its pulls are left, and once one does not, every older
 * copy of that budget waits too (so that older copies never take what the newest need).
 */
export function planWithinBudgets(input: BudgetPlanInput): BudgetPlan {
  const left = new Map(input.left);
  const byKey: BudgetPlan['byKey'] = new Map();
  const pending: PendingCopy[] = [];
  for (const copy of input.pending) {
    const source = input.budgetOf(copy);
    if (!source || input.covered.has(`${copy.sourceRef}@${copy.digest}`)) {
      pending.push(copy);
      continue;
    }
    const state = byKey.get(source.key) ?? { planned: 0, deferred: 0 };
    byKey.set(source.key, state);
    const cost = input.pullsOf(copy, source.budget);
    const has = left.get(source.key) ?? 0;
    if (state.deferred > 0 || cost > has) {
      state.deferred++;
      state.firstNeeds ??= cost;
      continue;
    }
    left.set(source.key, has - cost);
    state.planned += cost;
    pending.push({ ...copy, pulls: { budget: source.key, count: cost } });
  }
  return { pending, byKey };
}

/**
 * The observe side of budgets: plans the pending copies in the sync's book (reserving what is planned, up to
 * what the Job bounds let this sync create), and reports each budget met.
 */
export function budgetCopies(input: {
  pending: readonly PendingCopy[];
  live: readonly KubeObject[];
  settings: Settings;
  book: PullBudgetBook;
  budgetOf(copy: PendingCopy): SourceBudget | undefined;
  pullsOf(copy: PendingCopy, budget: PullBudget): number;
}): { pending: PendingCopy[]; budgets: BudgetReport[]; deferred: number } {
  const { covered, active } = liveCopies(input.live);
  const budgets = new Map<string, PullBudget>();
  for (const copy of input.pending) {
    const source = input.budgetOf(copy);
    if (source && !budgets.has(source.key)) budgets.set(source.key, source.budget);
  }
  if (budgets.size === 0) return { pending: [...input.pending], budgets: [], deferred: 0 };
  const left = new Map<string, number>();
  for (const [key, budget] of budgets) {
    input.book.declare(key, budget);
    left.set(key, input.book.remaining(key, budget));
  }
  const plan = planWithinBudgets({ ...input, covered, left });
  // Reserved: what the Jobs of this sync can take (the Job bounds of copy-jobs.ts); the rest waits anyway.
  const { maxJobsPerManifest, tagsPerJob } = input.settings.imageSync;
  let room = Math.max(0, maxJobsPerManifest - active) * Math.max(1, tagsPerJob);
  for (const copy of plan.pending) {
    if (!copy.pulls || covered.has(`${copy.sourceRef}@${copy.digest}`)) continue;
    if (room-- <= 0) break;
    input.book.reserve(copy.pulls.budget, copy.pulls.count);
  }
  const reports: BudgetReport[] = [];
  let deferred = 0;
  for (const [key, state] of plan.byKey) {
    const budget = budgets.get(key)!;
    deferred += state.deferred;
    const next =
      state.firstNeeds !== undefined ? input.book.nextAt(key, budget, state.firstNeeds) : undefined;
    reports.push({
      registry: key,
      pulls: budget.pulls,
      per: formatDuration(budget.perMs),
      remaining: input.book.remaining(key, budget),
      deferred: state.deferred,
      ...(next ? { nextAt: next.toISOString() } : {}),
    });
  }
  return { pending: plan.pending, budgets: reports, deferred };
}

/** `; 3 deferred by the pull budget of docker.io as robot (0 of 180 pulls per 6h left, next at …)`. */
export function describeBudgets(budgets: readonly BudgetReport[]): string {
  return budgets
    .filter((b) => b.deferred > 0)
    .map(
      (b) =>
        `; ${b.deferred} deferred by the pull budget of ${b.registry} (${b.remaining} of ${b.pulls} pulls per ${b.per} left` +
        (b.nextAt ? `, next at ${b.nextAt})` : ', more than the whole budget: never)'),
    )
    .join('');
}

/**
 * A client's `onAnswer` feeding each budgeted source's answers to the book: rate-limit headers and 429s, and
 * the manifest GETs the observe step itself makes (a platform's digest, `newest: {by: created}`, signatures),
 * charged as they happen.
 */
export function budgetAnswers(
  book: PullBudgetBook,
  byHost: ReadonlyMap<string, SourceBudget>,
): (
  registry: string,
  answer: Pick<HttpResponse, 'status' | 'headers'> & { method: string; path: string },
) => void {
  const hosts = new Map([...byHost].map(([host, source]) => [normaliseRegistryHost(host), source]));
  return (registry, answer) => {
    const source = hosts.get(normaliseRegistryHost(registry));
    if (!source) return;
    book.answer(source.key, answer);
    // A referrers page is a manifest-like GET (an index of manifests): charged like one.
    if (
      answer.method === 'GET' &&
      answer.status === 200 &&
      /^\/v2\/.+\/(manifests|referrers)\//.test(answer.path)
    )
      book.charge(source.key, 1);
  };
}
