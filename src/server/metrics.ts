import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import { conditionsOf } from '../status/conditions.js';
import { pendingCopyCount } from '../status/details.js';
import type { Condition, ManifestStatus, SyncReport } from '../status/types.js';

/**
 * The reconciler's Prometheus metrics, in a registry of their own (no global state, so tests and two
 * daemons in one process do not share counters). `recordSyncReport` is the one place a report becomes
 * numbers: the engine knows nothing of metrics.
 */
export interface Metrics {
  registry: Registry;
  syncDuration: Histogram<'result'>;
  syncTotal: Counter<'result'>;
  objectsApplied: Counter<'kind'>;
  objectsPruned: Counter<'kind'>;
  manifestErrors: Gauge<'kind' | 'result'>;
  gitFetchDuration: Histogram;
  syncStepDuration: Histogram<'step'>;
  lastSyncedCommitTimestamp: Gauge;
  lastSuccessfulSyncTimestamp: Gauge;
  jobOutcomes: Gauge<'kind' | 'outcome'>;
  leader: Gauge;
  webhookRequests: Counter<'provider' | 'outcome'>;
  lastSyncResult: Gauge<'result'>;
  copiesPending: Gauge<'kind' | 'manifest'>;
  budgetRemaining: Gauge<'registry'>;
  budgetDeferred: Gauge<'registry'>;
  manifestsByCondition: Gauge<'kind' | 'type' | 'status' | 'reason'>;
  manifestCondition: Gauge<'kind' | 'manifest' | 'type' | 'status' | 'reason'>;
}

/** Manifests named one by one in image_gitops_manifest_condition at most: the worst first. */
export const CONDITION_MANIFESTS_MAX = 100;

export interface MetricsOptions {
  /** Node process metrics (CPU, memory, event loop, GC); on by default. */
  defaultMetrics?: boolean;
  /** The reconciler instance (IMAGE_GITOPS_INSTANCE): a label `image_gitops_instance` on every series. */
  instance?: string;
}

const SYNC_BUCKETS = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600];
const FETCH_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

export function createMetrics(options: MetricsOptions = {}): Metrics {
  const registry = new Registry();
  // Every series names its reconciler instance: two instances side by side are told apart (a leader each).
  if (options.instance) registry.setDefaultLabels({ image_gitops_instance: options.instance });
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry });
  const registers = [registry];
  return {
    registry,
    syncDuration: new Histogram({
      name: 'image_gitops_sync_duration_seconds',
      help: 'Duration of one sync (fetch, validate, plan, apply, prune), by result.',
      labelNames: ['result'],
      buckets: SYNC_BUCKETS,
      registers,
    }),
    syncTotal: new Counter({
      name: 'image_gitops_sync_total',
      help: 'Syncs run, by result (Succeeded, PartiallyFailed, Failed, NoChange).',
      labelNames: ['result'],
      registers,
    }),
    objectsApplied: new Counter({
      name: 'image_gitops_objects_applied_total',
      help: 'Kubernetes objects created or updated, by object kind.',
      labelNames: ['kind'],
      registers,
    }),
    objectsPruned: new Counter({
      name: 'image_gitops_objects_pruned_total',
      help: 'Kubernetes objects deleted because no manifest renders them any more, by object kind.',
      labelNames: ['kind'],
      registers,
    }),
    manifestErrors: new Gauge({
      name: 'image_gitops_manifest_errors',
      help: 'Manifests that are currently invalid or failed, by manifest kind and result (Invalid, Failed).',
      labelNames: ['kind', 'result'],
      registers,
    }),
    gitFetchDuration: new Histogram({
      name: 'image_gitops_git_fetch_duration_seconds',
      help: 'Duration of the git fetch of the config repository.',
      buckets: FETCH_BUCKETS,
      registers,
    }),
    syncStepDuration: new Histogram({
      name: 'image_gitops_sync_step_duration_seconds',
      help: 'Duration of each step of a sync (source, manifests, live, render, plan, apply, status).',
      labelNames: ['step'],
      buckets: FETCH_BUCKETS,
      registers,
    }),
    lastSyncedCommitTimestamp: new Gauge({
      name: 'image_gitops_last_synced_commit_timestamp_seconds',
      help: 'Commit date of the last commit synced without a sync-wide failure (Unix seconds).',
      registers,
    }),
    lastSuccessfulSyncTimestamp: new Gauge({
      name: 'image_gitops_last_successful_sync_timestamp_seconds',
      help: 'When the last sync without a sync-wide failure finished (Unix seconds).',
      registers,
    }),
    jobOutcomes: new Gauge({
      name: 'image_gitops_job_outcomes',
      help: 'Jobs of the current manifests by manifest kind and outcome (complete, failed, running, unknown).',
      labelNames: ['kind', 'outcome'],
      registers,
    }),
    leader: new Gauge({
      name: 'image_gitops_leader',
      help: '1 while this replica holds the leader lease (and so is the one that syncs), else 0.',
      registers,
    }),
    webhookRequests: new Counter({
      name: 'image_gitops_webhook_requests_total',
      help: 'Webhook requests by provider and outcome (triggered, ignored, rejected).',
      labelNames: ['provider', 'outcome'],
      registers,
    }),
    lastSyncResult: new Gauge({
      name: 'image_gitops_last_sync_result',
      help: 'The result of the last sync on this replica: 1 for it, 0 for the other results (Succeeded, NoChange, PartiallyFailed, Failed).',
      labelNames: ['result'],
      registers,
    }),
    copiesPending: new Gauge({
      name: 'image_gitops_copies_pending',
      help: 'Image copies (ImageSync, ImageBackup) seen pending at the last sync, by manifest kind and manifest; only manifests with some.',
      labelNames: ['kind', 'manifest'],
      registers,
    }),
    budgetRemaining: new Gauge({
      name: 'image_gitops_registry_budget_remaining',
      help: 'Pulls left in a pull budget (registry and credential) after the copies planned at the last sync; only budgets that copies met.',
      labelNames: ['registry'],
      registers,
    }),
    budgetDeferred: new Gauge({
      name: 'image_gitops_registry_budget_deferred',
      help: 'Copies a pull budget (registry and credential) deferred at the last sync, all manifests together; only budgets that copies met.',
      labelNames: ['registry'],
      registers,
    }),
    manifestsByCondition: new Gauge({
      name: 'image_gitops_manifests_by_condition',
      help: 'Manifests by manifest kind and condition (Ready, Reconciling, Stalled), its status and reason.',
      labelNames: ['kind', 'type', 'status', 'reason'],
      registers,
    }),
    manifestCondition: new Gauge({
      name: 'image_gitops_manifest_condition',
      help: `1 for each condition of a manifest that needs attention (Ready not True, Stalled True), by manifest; at most ${CONDITION_MANIFESTS_MAX} manifests, stalled first.`,
      labelNames: ['kind', 'manifest', 'type', 'status', 'reason'],
      registers,
    }),
  };
}

const SYNC_RESULTS = ['Succeeded', 'NoChange', 'PartiallyFailed', 'Failed'] as const;

/** Copies a manifest's status says are pending: its listed ones and how many more (status/details.ts). */
export function pendingCopies(manifest: ManifestStatus): number {
  return pendingCopyCount(manifest.details);
}

/** The conditions of a manifest that say something is wrong or unfinished. */
function needingAttention(conditions: Condition[]): Condition[] {
  return conditions.filter(
    (c) => (c.type === 'Ready' && c.status !== 'True') || (c.type === 'Stalled' && c.status === 'True'),
  );
}

/** Stalled first (a person must act), then not Ready, then Ready unknown; by key within each. */
function attentionRank(conditions: Condition[]): number {
  if (conditions.some((c) => c.type === 'Stalled')) return 0;
  return conditions.some((c) => c.status === 'False') ? 1 : 2;
}

/** The condition gauges: counts for every manifest, one series per condition needing attention, bounded. */
export function recordConditions(metrics: Metrics, manifests: readonly ManifestStatus[]): void {
  metrics.manifestsByCondition.reset();
  metrics.manifestCondition.reset();
  const counts = new Map<
    string,
    { labels: Record<'kind' | 'type' | 'status' | 'reason', string>; count: number }
  >();
  const attention: Array<{ manifest: ManifestStatus; conditions: Condition[] }> = [];
  for (const manifest of manifests) {
    const conditions = conditionsOf(manifest);
    for (const c of conditions) {
      const labels = { kind: manifest.kind, type: c.type, status: c.status, reason: c.reason };
      const key = Object.values(labels).join('\u0000');
      const entry = counts.get(key) ?? { labels, count: 0 };
      entry.count += 1;
      counts.set(key, entry);
    }
    const wrong = needingAttention(conditions);
    if (wrong.length > 0) attention.push({ manifest, conditions: wrong });
  }
  for (const { labels, count } of counts.values()) metrics.manifestsByCondition.set(labels, count);
  attention.sort(
    (a, b) =>
      attentionRank(a.conditions) - attentionRank(b.conditions) ||
      a.manifest.key.localeCompare(b.manifest.key),
  );
  for (const { manifest, conditions } of attention.slice(0, CONDITION_MANIFESTS_MAX)) {
    for (const c of conditions) {
      metrics.manifestCondition.set(
        { kind: manifest.kind, manifest: manifest.key, type: c.type, status: c.status, reason: c.reason },
        1,
      );
    }
  }
}

export type JobOutcome = 'complete' | 'failed' | 'running' | 'unknown';

/** Job outcomes of one manifest's current Jobs, read from the health the engine put on each object. */
export function jobOutcomes(manifest: ManifestStatus): JobOutcome[] {
  return manifest.objects
    .filter((o) => o.kind === 'Job' && o.outcome !== 'pruned' && o.action !== 'delete')
    .map((o) => {
      switch (o.health) {
        case 'Healthy':
          return 'complete';
        case 'Failed':
        case 'Degraded':
          return 'failed';
        case 'Progressing':
          return 'running';
        default:
          return 'unknown';
      }
    });
}

function secondsOf(isoDate: string | undefined): number | undefined {
  if (!isoDate) return undefined;
  const ms = Date.parse(isoDate);
  return Number.isNaN(ms) ? undefined : ms / 1000;
}

/** Folds one sync's report into the metrics. */
export function recordSyncReport(metrics: Metrics, report: SyncReport): void {
  metrics.syncTotal.inc({ result: report.result });
  for (const result of SYNC_RESULTS) metrics.lastSyncResult.set({ result }, result === report.result ? 1 : 0);
  metrics.syncDuration.observe({ result: report.result }, report.durationSeconds);
  if (report.gitFetchSeconds !== undefined) metrics.gitFetchDuration.observe(report.gitFetchSeconds);
  for (const [step, seconds] of Object.entries(report.stepSeconds ?? {}))
    metrics.syncStepDuration.observe({ step }, seconds);
  for (const [kind, count] of Object.entries(report.appliedByKind)) {
    if (count > 0) metrics.objectsApplied.inc({ kind }, count);
  }
  for (const [kind, count] of Object.entries(report.prunedByKind)) {
    if (count > 0) metrics.objectsPruned.inc({ kind }, count);
  }

  // A sync that failed as a whole (git unreachable...) says nothing about the manifests: the gauges keep
  // describing the last state that was seen.
  if (report.result === 'Failed') return;

  const commitSeconds = secondsOf(report.commit?.date);
  if (commitSeconds !== undefined) metrics.lastSyncedCommitTimestamp.set(commitSeconds);
  const finished = secondsOf(report.finishedAt);
  if (finished !== undefined) metrics.lastSuccessfulSyncTimestamp.set(finished);

  metrics.manifestErrors.reset();
  const errors = new Map<string, { kind: string; result: string; count: number }>();
  const countError = (kind: string, result: string): void => {
    const key = `${kind}\u0000${result}`;
    const entry = errors.get(key) ?? { kind, result, count: 0 };
    entry.count += 1;
    errors.set(key, entry);
  };
  for (const manifest of report.manifests) {
    if (manifest.result === 'Invalid' || manifest.result === 'Failed')
      countError(manifest.kind, manifest.result);
  }
  // Files that did not even yield a manifest (YAML errors, unknown kinds) are invalid manifests too.
  for (const _problem of report.fileProblems) countError('', 'Invalid');
  for (const { kind, result, count } of errors.values()) metrics.manifestErrors.set({ kind, result }, count);

  metrics.jobOutcomes.reset();
  const outcomes = new Map<string, number>();
  for (const manifest of report.manifests) {
    for (const outcome of jobOutcomes(manifest)) {
      const key = `${manifest.kind}\u0000${outcome}`;
      outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
    }
  }
  for (const [key, count] of outcomes) {
    const [kind = '', outcome = ''] = key.split('\u0000');
    metrics.jobOutcomes.set({ kind, outcome }, count);
  }

  metrics.copiesPending.reset();
  for (const manifest of report.manifests) {
    const pending = pendingCopies(manifest);
    if (pending > 0) metrics.copiesPending.set({ kind: manifest.kind, manifest: manifest.key }, pending);
  }

  recordBudgets(metrics, report.manifests);
  recordConditions(metrics, report.manifests);
}

/** The pull budgets the manifests' copies met (status details `budget`): the least left, the copies deferred. */
function recordBudgets(metrics: Metrics, manifests: readonly ManifestStatus[]): void {
  metrics.budgetRemaining.reset();
  metrics.budgetDeferred.reset();
  const remaining = new Map<string, number>();
  const deferred = new Map<string, number>();
  for (const manifest of manifests) {
    const rows = manifest.details?.budget;
    for (const row of Array.isArray(rows) ? (rows as Array<Record<string, unknown>>) : []) {
      const { registry, remaining: left, deferred: waiting } = row;
      if (typeof registry !== 'string' || typeof left !== 'number' || typeof waiting !== 'number') continue;
      remaining.set(registry, Math.min(left, remaining.get(registry) ?? left));
      deferred.set(registry, (deferred.get(registry) ?? 0) + waiting);
    }
  }
  for (const [registry, left] of remaining) metrics.budgetRemaining.set({ registry }, left);
  for (const [registry, waiting] of deferred) metrics.budgetDeferred.set({ registry }, waiting);
}

/**
 * A replica that stops leading stops describing the cluster: its state gauges are cleared, so that the
 * alerts and dashboards read the leader's numbers only, never a former leader's frozen ones.
 */
export function recordLeadership(metrics: Metrics, isLeader: boolean): void {
  metrics.leader.set(isLeader ? 1 : 0);
  if (isLeader) return;
  for (const gauge of [
    metrics.manifestErrors,
    metrics.jobOutcomes,
    metrics.copiesPending,
    metrics.budgetRemaining,
    metrics.budgetDeferred,
    metrics.lastSyncResult,
    metrics.manifestsByCondition,
    metrics.manifestCondition,
  ])
    gauge.reset();
  metrics.lastSyncedCommitTimestamp.set(0);
  metrics.lastSuccessfulSyncTimestamp.set(0);
}
