import { applyRetryBudgetMs } from '../apply/retry.js';
import type { ObservabilitySettings } from '../config/observability.js';
import type { ReconcilerConfig } from '../config/reconciler-config.js';
import { setting } from '../config/settings-schema.js';
import { formatProblem } from '../core/errors.js';
import { createLogger, type Logger } from '../core/logger.js';
import { Reconciler } from '../engine/reconciler.js';
import { KubeClient } from '../kube/client.js';
import { registryLimitsFromEnv } from '../registry/limits.js';
import { type RunningServer, startHttpServer } from '../server/http.js';
import { createMetrics, type Metrics, recordLeadership, recordSyncReport } from '../server/metrics.js';
import { WebhookNotifier } from '../server/notifier.js';
import type { SyncHistoryEntry } from '../status/history.js';
import { StatusStore, type StoredState } from '../status/store.js';
import type { SyncReport } from '../status/types.js';
import { LeaderElector, type LeaseClient } from './leader.js';
import { parseSchedule, Scheduler, type SyncTrigger } from './scheduler.js';

/**
 * The long-running reconciler: HTTP (health, metrics, status, webhooks) from the start, leader election when
 * enabled, and a scheduler that runs syncs only while this replica leads. Shutdown (SIGTERM) stops scheduling,
 * lets a running sync finish within the grace period and then aborts it, releases the Lease and closes HTTP.
 */
export interface SyncEngine {
  sync(trigger: SyncTrigger, signal?: AbortSignal): Promise<SyncReport>;
  lastReport(): SyncReport | undefined;
  /** The stored sync history, newest first (the status page shows it). */
  history?(): readonly SyncHistoryEntry[];
}

/** The status as last stored (by whichever replica led), for the page of a replica with no report. */
export type StoredStatusReader = () => Promise<StoredState | undefined>;

export interface DaemonDependencies {
  engine: SyncEngine;
  /** Needed when leader election is enabled; a KubeClient fits. */
  leaseClient?: LeaseClient;
  logger?: Logger;
  metrics?: Metrics;
  storedStatus?: StoredStatusReader;
}

export type DaemonConfig = Pick<
  ReconcilerConfig,
  'namespace' | 'schedule' | 'http' | 'webhookSecret' | 'leaderElection' | 'logLevel'
> & {
  git: Pick<ReconcilerConfig['git'], 'branch' | 'tag' | 'commit'>;
  /** How long a running sync may go on after SIGTERM before it is aborted (default 20s). */
  shutdownGraceMs?: number;
  /** Deadline of one sync; past it the sync is aborted between steps (default 30 min, SYNC_DEADLINE_SECONDS). */
  syncDeadlineMs?: number;
  /** Lease timings; by default derived from leaderElection.leaseDurationSeconds as client-go's 15/10/2. */
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
  /** Backoff after failed syncs (tests shorten it). */
  backoff?: { initialMs?: number; maxMs?: number };
  /** The status page (served on `/` when given) and its settings. */
  observability?: ObservabilitySettings;
  settings?: { instance: string };
};

export const DEFAULT_SHUTDOWN_GRACE_MS = 20_000;

export class Daemon {
  readonly metrics: Metrics;
  readonly logger: Logger;
  readonly scheduler: Scheduler;
  readonly elector: LeaderElector | undefined;
  private readonly config: DaemonConfig;
  private readonly engine: SyncEngine;
  private readonly storedStatus: StoredStatusReader | undefined;
  private server: RunningServer | undefined;
  private settledOnce = false;
  private stopping: Promise<void> | undefined;

  constructor(config: DaemonConfig, deps: DaemonDependencies) {
    this.config = config;
    this.engine = deps.engine;
    this.storedStatus = deps.storedStatus;
    this.logger = deps.logger ?? createLogger({ level: config.logLevel });
    this.metrics =
      deps.metrics ?? createMetrics(config.settings ? { instance: config.settings.instance } : {});
    this.scheduler = new Scheduler({
      schedule: parseSchedule(config.schedule),
      sync: (trigger, signal) => this.syncOnce(trigger, signal),
      logger: this.logger,
      ...(config.backoff ? { backoff: config.backoff } : {}),
      ...(config.syncDeadlineMs ? { deadlineMs: config.syncDeadlineMs } : {}),
    });
    this.elector = config.leaderElection.enabled ? this.makeElector(config, deps.leaseClient) : undefined;
    recordLeadership(this.metrics, this.elector === undefined);
  }

  /** The HTTP server's URL once started. */
  get url(): string | undefined {
    return this.server?.url;
  }

  isLeader(): boolean {
    return this.elector ? this.elector.isLeader() : true;
  }

  /** Ready when this replica can do its job: a leader once its first sync settled, a follower once it knows the lease. */
  isReady(): boolean {
    if (this.stopping) return false;
    if (this.isLeader()) return this.settledOnce;
    return this.elector?.leader() !== undefined;
  }

  async start(): Promise<void> {
    const ref = this.config.git.commit ?? this.config.git.tag ?? this.config.git.branch;
    this.server = await startHttpServer(
      {
        metrics: this.metrics,
        lastReport: () => this.engine.lastReport(),
        isReady: () => this.isReady(),
        isLeader: () => this.isLeader(),
        logger: this.logger,
        webhook: {
          secret: this.config.webhookSecret,
          ...(ref ? { ref } : {}),
          onPush: () => this.requestSync('webhook'),
        },
        onManualTrigger: () => this.requestSync('manual'),
        ...(this.config.observability ? { page: this.pageHandling(this.config.observability) } : {}),
      },
      this.config.http,
    );
    this.logger.info('listening', { url: this.server.url });
    if (this.elector) this.elector.start();
    else this.scheduler.start();
  }

  private pageHandling(observability: ObservabilitySettings) {
    return {
      settings: observability.page,
      ...(observability.page.token ? { token: observability.page.token } : {}),
      data: async () => {
        const report = this.engine.lastReport();
        const base = {
          leader: this.isLeader(),
          instance: this.config.settings?.instance ?? 'default',
          namespace: this.config.namespace,
        };
        if (report) return { ...base, report, history: this.engine.history?.() ?? [] };
        const stored = await this.storedStatus?.().catch((error: unknown) => {
          this.logger.warn('stored status not read for the page', { error: String(error) });
          return undefined;
        });
        return {
          ...base,
          ...(stored ? { stored } : {}),
          history: stored?.history ?? this.engine.history?.() ?? [],
        };
      },
    };
  }

  /** A sync asked for over HTTP: only the leader syncs; syncs never overlap (the scheduler queues one). */
  private requestSync(trigger: 'webhook' | 'manual'): { status: number; message: string } {
    if (!this.isLeader()) {
      return { status: 503, message: `not the leader (${this.elector?.leader() ?? 'unknown'} is); retry` };
    }
    return { status: 202, message: `sync ${this.scheduler.trigger(trigger)}` };
  }

  /** Runs a sync now (if leading), as the CLI's manual trigger does. */
  triggerManual(): ReturnType<Scheduler['trigger']> {
    return this.isLeader() ? this.scheduler.trigger('manual') : 'stopped';
  }

  shutdown(reason = 'shutdown'): Promise<void> {
    this.stopping ??= this.doShutdown(reason);
    return this.stopping;
  }

  private async doShutdown(reason: string): Promise<void> {
    this.logger.info('shutting down', { reason });
    const grace = this.config.shutdownGraceMs ?? DEFAULT_SHUTDOWN_GRACE_MS;
    const { aborted } = await this.scheduler.stop(grace);
    if (aborted) this.logger.warn('the running sync was aborted at shutdown', { graceMs: grace });
    await this.elector?.stop({ release: true });
    recordLeadership(this.metrics, false);
    await this.server?.close();
    this.logger.info('stopped');
  }

  private makeElector(config: DaemonConfig, client: LeaseClient | undefined): LeaderElector {
    if (!client) throw new Error('leader election needs a Kubernetes client');
    const leaseDurationMs = config.leaderElection.leaseDurationSeconds * 1000;
    return new LeaderElector({
      client,
      namespace: config.namespace,
      name: config.leaderElection.leaseName,
      identity: config.leaderElection.identity,
      leaseDurationMs,
      renewDeadlineMs: config.renewDeadlineMs ?? Math.round((leaseDurationMs * 2) / 3),
      retryPeriodMs: config.retryPeriodMs ?? Math.max(500, Math.round(leaseDurationMs / 7.5)),
      logger: this.logger,
      onStartedLeading: () => {
        recordLeadership(this.metrics, true);
        this.scheduler.start();
      },
      onStoppedLeading: () => {
        recordLeadership(this.metrics, false);
        // Another replica may lead already: stop writing to the cluster at once.
        void this.scheduler.stop(0);
      },
      onNewLeader: (identity) => this.logger.info('leader observed', { leader: identity ?? '(none)' }),
    });
  }

  private async syncOnce(trigger: SyncTrigger, signal: AbortSignal): Promise<SyncReport> {
    this.logger.debug('sync starting', { trigger });
    try {
      const report = await this.engine.sync(trigger, signal);
      recordSyncReport(this.metrics, report);
      this.logReport(report);
      return report;
    } finally {
      this.settledOnce = true;
    }
  }

  private logReport(report: SyncReport): void {
    const fields = {
      trigger: report.trigger,
      result: report.result,
      commit: report.commit?.sha,
      durationSeconds: report.durationSeconds,
      fetchSkipped: report.fetchSkipped,
      ...report.counts,
    };
    if (report.error) this.logger.error('sync failed', { ...fields, error: formatProblem(report.error) });
    else if (report.result === 'PartiallyFailed') this.logger.warn('sync finished with errors', fields);
    else this.logger.info('sync finished', fields);
    for (const manifest of report.manifests) {
      if (manifest.result !== 'Invalid' && manifest.result !== 'Failed') continue;
      this.logger.warn('manifest not applied', {
        manifest: manifest.key,
        result: manifest.result,
        message: manifest.message,
        problems: manifest.problems.map(formatProblem),
      });
    }
    for (const problem of report.fileProblems)
      this.logger.warn('file problem', { problem: formatProblem(problem) });
  }
}

/** Stops the daemon on SIGTERM/SIGINT; returns a function that removes the handlers. */
export function handleSignals(
  daemon: Daemon,
  exit: (code: number) => void = (code) => process.exit(code),
): () => void {
  const onSignal = (signal: NodeJS.Signals) => {
    daemon.shutdown(signal).then(
      () => exit(0),
      (error: unknown) => {
        daemon.logger.error('shutdown failed', { error });
        exit(1);
      },
    );
  };
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
  return () => {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
  };
}

/**
 * `image-gitops run`: builds the Kubernetes client and the Reconciler from the config and runs the daemon
 * until SIGTERM/SIGINT. Resolves with the exit code once shut down. SHUTDOWN_GRACE_SECONDS (default 20) is
 * how long a running sync may go on after SIGTERM; keep it below the pod's terminationGracePeriodSeconds.
 * SYNC_DEADLINE_SECONDS (default 1800) bounds one sync: past it, the sync is aborted between steps, its
 * registry calls are cut off, and the next sync starts on schedule.
 */
export async function runDaemon(
  config: ReconcilerConfig,
  env: Record<string, string | undefined> = process.env,
): Promise<number> {
  const logger = createLogger({ level: config.logLevel }, { component: 'image-gitops' });
  const kube = KubeClient.fromKubeconfig(config.kubeconfigPath);
  const notify = config.observability.notify;
  const notifier = notify
    ? new WebhookNotifier({
        settings: notify,
        instance: config.settings.instance,
        ...(config.observability.page.sourceUrl ? { sourceUrl: config.observability.page.sourceUrl } : {}),
        logger: logger.child({ component: 'notifier' }),
      })
    : undefined;
  const engine = new Reconciler({
    config,
    kube,
    logger,
    watchOwned: config.watchOwned,
    ...(notifier ? { onStatusChanges: (previous, next) => notifier.statusChanged(previous, next) } : {}),
  });
  // Bounds, defaults and messages from schemas/settings.schema.json (an empty value is unset, as elsewhere).
  const graceSeconds = setting(env, 'SHUTDOWN_GRACE_SECONDS');
  // Read at each sync; checked here so that a wrong value stops the start-up, not every sync.
  registryLimitsFromEnv(env);
  applyRetryBudgetMs(env);
  const deadlineSeconds = setting(env, 'SYNC_DEADLINE_SECONDS');
  const daemon = new Daemon(
    { ...config, shutdownGraceMs: graceSeconds * 1000, syncDeadlineMs: deadlineSeconds * 1000 },
    {
      engine,
      leaseClient: kube,
      logger,
      // A fresh store each time: a follower only reads, and must see the leader's latest write.
      storedStatus: () => new StatusStore(kube, config.namespace, config.settings.instance).load(),
    },
  );
  const exited = new Promise<number>((resolve) => handleSignals(daemon, resolve));
  try {
    await daemon.start();
  } catch (error) {
    await daemon.shutdown('start-up failed');
    await engine.close();
    kube.close();
    throw error;
  }
  const code = await exited;
  // What is queued may still go out, briefly: the next leader would not send it (its stored status moved on).
  await notifier?.idle(5000);
  await engine.close();
  kube.close();
  return code;
}
