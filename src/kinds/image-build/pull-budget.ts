/**
 * ImageBuild under pull budgets: a build pulls each base image of its Dockerfile (base-images.ts) from its
 * registry, once per architecture. When a registry and credential the build pulls from has a budget (its
 * `registries` entry, else SYNC_REGISTRIES), a new build Job is priced, reserved in the sync's book and
 * charged when it is created (its `image-gitops.io/run-pulls` annotation); a build whose pulls are not all
 * left waits for a later sync (render leaves the Job out), and the status says until when. A build Job that
 * already exists is not priced again.
 */
import { formatDuration } from '../../core/duration.js';
import { type BudgetReport, declaredBudget, type SourceBudget } from '../../jobs/copy-budget.js';
import type { RunPulls } from '../../jobs/cron-runs.js';
import type { Manifest } from '../../manifests/types.js';
import type { AuthFile } from '../../registry/credentials.js';
import type { PullBudgetBook } from '../../registry/pull-budget.js';
import type { ObserveContext } from '../types.js';
import { type BaseImages, baseImages, basePullsByHost } from './base-images.js';
import { contextPrefix } from './context.js';
import { buildJobName } from './render.js';
import { DEFAULT_ARCHITECTURES, DEFAULT_DOCKERFILE, type ImageBuildSpec } from './types.js';

export interface BuildBudget {
  /** What the new build Job pulls, by budget (its annotation). */
  basePulls?: RunPulls[];
  budget?: BudgetReport[];
  /** 1 when the new build waits for its budgets. */
  budgetDeferred?: number;
  /** `; base images pull 4 from …` for the status. */
  message: string;
}

/** The Dockerfile's text at this commit; undefined when it is not there (render says why). */
export function dockerfileText(
  spec: ImageBuildSpec,
  files: ReadonlyMap<string, Uint8Array> | undefined,
): string | undefined {
  if (spec.inline !== undefined) return spec.inline;
  if (!spec.context || !files) return undefined;
  const bytes = files.get(`${contextPrefix(spec.context.path)}${spec.dockerfile ?? DEFAULT_DOCKERFILE}`);
  return bytes ? Buffer.from(bytes).toString('utf8') : undefined;
}

/** The pulls of a build by budget (hosts without a budget left out). */
export function budgetedPulls(
  bases: BaseImages,
  architectures: number,
  budgetOf: (host: string) => SourceBudget | undefined,
): Array<{ source: SourceBudget; count: number }> {
  const byKey = new Map<string, { source: SourceBudget; count: number }>();
  for (const [host, count] of basePullsByHost(bases.images, architectures)) {
    const source = budgetOf(host);
    if (!source) continue;
    const known = byKey.get(source.key);
    byKey.set(source.key, { source, count: (known?.count ?? 0) + count });
  }
  return [...byKey.values()];
}

/** Whether the build fits every budget now (then reserved), and what the status says of each. */
export function planBuild(
  book: PullBudgetBook,
  pulls: ReadonlyArray<{ source: SourceBudget; count: number }>,
): Required<Pick<BuildBudget, 'budget'>> & Omit<BuildBudget, 'message'> & { nextAt?: Date } {
  for (const { source } of pulls) book.declare(source.key, source.budget);
  const fits = pulls.every(({ source, count }) => book.remaining(source.key, source.budget) >= count);
  if (fits) for (const { source, count } of pulls) book.reserve(source.key, count);
  let nextAt: Date | undefined;
  const budget = pulls.map(({ source, count }): BudgetReport => {
    const short = !fits && book.remaining(source.key, source.budget) < count;
    const next = short ? book.nextAt(source.key, source.budget, count) : undefined;
    // The build waits for the latest of its budgets (never, when one is smaller than what it pulls).
    if (short) nextAt = next && nextAt !== undefined && nextAt > next ? nextAt : next;
    return {
      registry: source.key,
      pulls: source.budget.pulls,
      per: formatDuration(source.budget.perMs),
      remaining: book.remaining(source.key, source.budget),
      deferred: fits ? 0 : 1,
      ...(next ? { nextAt: next.toISOString() } : {}),
    };
  });
  return {
    budget,
    ...(fits
      ? { basePulls: pulls.map(({ source, count }) => ({ budget: source.key, count })) }
      : { budgetDeferred: 1 }),
    ...(nextAt ? { nextAt } : {}),
  };
}

/** Observe: price a new build under its budgets. Undefined when no base registry has a budget. */
export function observeBuildBudget(
  manifest: Manifest<ImageBuildSpec>,
  context: ObserveContext,
  namespace: string,
  usernames: ReadonlyMap<string, string>,
  authFile: AuthFile | undefined,
): BuildBudget | undefined {
  const spec = manifest.spec;
  const book = context.pullBudgets;
  const text = dockerfileText(spec, context.files);
  if (!book || text === undefined) return undefined;
  const bases = baseImages(text, spec.buildArgs ?? {}, spec.target);
  const architectures = (spec.architectures ?? DEFAULT_ARCHITECTURES).length;
  const pulls = budgetedPulls(bases, architectures, (host) =>
    declaredBudget(host, spec, context.settings, namespace, usernames.get(host)),
  );
  if (pulls.length === 0) return undefined;
  const name = buildJobName(manifest, {
    settings: context.settings,
    namespace: context.namespace,
    ...(context.files ? { files: context.files } : {}),
    ...(authFile ? { observed: { authFile } } : {}),
  });
  if (context.live.some((o) => o.kind === 'Job' && o.metadata.name === name)) return { message: '' };
  const plan = planBuild(book, pulls);
  const what = pulls.map((p) => `${p.count} from ${p.source.key}`).join(', ');
  const unresolved = bases.unresolved.length
    ? ` (not counted, variables unresolved: ${bases.unresolved.join(', ')})`
    : '';
  const short = plan.budget.filter((b, i) => b.remaining < (pulls[i]?.count ?? 0));
  const waits = plan.budgetDeferred
    ? `; the new build waits for the pull budget of ${short
        .map((b) => `${b.registry} (${b.remaining} of ${b.pulls} pulls per ${b.per} left)`)
        .join(
          ', ',
        )}, ${plan.nextAt ? `next at ${plan.nextAt.toISOString()}` : 'more than the whole budget: never'}`
    : '';
  return {
    ...(plan.basePulls ? { basePulls: plan.basePulls } : {}),
    budget: plan.budget,
    ...(plan.budgetDeferred ? { budgetDeferred: plan.budgetDeferred } : {}),
    message: `base images pull ${what}${unresolved}${waits}`,
  };
}
