import cron, { type ScheduledTask } from 'node-cron';
import { type BackoffPolicy, backoffDelay } from '../core/backoff.js';
import { nodeCronProblem } from '../core/cron.js';
import { DURATION_EXAMPLES, parseDuration } from '../core/duration.js';
import { type Logger, silentLogger } from '../core/logger.js';
import type { SyncReport } from '../status/types.js';

/**
 * When syncs run. A schedule is a fixed interval (`5m`, counted from the end of the previous sync) or a cron
 * expression (node-cron 4, optional seconds field). Syncs never overlap: a trigger during a sync queues exactly
 * one follow-up, and further triggers fold into it. After a sync that failed as a whole (git unreachable...)
 * the next attempt comes sooner, with exponential backoff and jitter, but never later than the schedule.
 */
export type Schedule =
  | { kind: 'interval'; everyMs: number }
  | { kind: 'cron'; expression: string; timezone?: string };

export type SyncTrigger = SyncReport['trigger'];

/** The wait after failed syncs: from 5 s, doubling, up to 5 min, up to half of it taken off at random. */
export const DEFAULT_BACKOFF: BackoffPolicy = { initialMs: 5_000, maxMs: 5 * 60_000, factor: 2, jitter: 0.5 };

/** A duration (`5m`, `1h30m`, `1w`: src/core/duration.ts) or a cron expression that node-cron runs. */
export function parseSchedule(text: string, timezone?: string): Schedule {
  const trimmed = text.trim();
  const everyMs = parseDuration(trimmed);
  if (everyMs !== undefined) {
    if (everyMs < 1000) throw new Error(`sync interval "${text}" is shorter than 1s`);
    return { kind: 'interval', everyMs };
  }
  const problem = nodeCronProblem(trimmed);
  if (problem) {
    throw new Error(
      `sync schedule "${text}" is neither a duration (${DURATION_EXAMPLES}) nor a cron expression: ${problem}`,
    );
  }
  return timezone ? { kind: 'cron', expression: trimmed, timezone } : { kind: 'cron', expression: trimmed };
}

/** Default bound on one sync, from start to status (SYNC_DEADLINE_SECONDS). */
export const DEFAULT_SYNC_DEADLINE_MS = 30 * 60_000;

/** The abort reason of a sync that outlived its deadline. */
export class SyncDeadlineError extends Error {
  constructor(ms: number) {
    super(`the sync deadline of ${Number((ms / 1000).toFixed(1))} s passed (SYNC_DEADLINE_SECONDS)`);
    this.name = 'SyncDeadlineError';
  }
}

export interface SchedulerOptions {
  schedule: Schedule;
  /**
   * The signal aborts when the sync outlives `deadlineMs` (reason: SyncDeadlineError) or when the scheduler
   * stops; the engine checks it between steps and passes it to every slow call.
   */
  sync(trigger: SyncTrigger, signal: AbortSignal): Promise<SyncReport>;
  /** Deadline of one sync; default DEFAULT_SYNC_DEADLINE_MS. */
  deadlineMs?: number;
  backoff?: Partial<BackoffPolicy>;
  /** Run one sync as soon as the scheduler starts (default true). */
  syncAtStart?: boolean;
  random?: () => number;
  logger?: Logger;
  onReport?(report: SyncReport): void;
}

export type TriggerOutcome = 'started' | 'queued' | 'coalesced' | 'stopped';

interface RunningSync {
  trigger: SyncTrigger;
  controller: AbortController;
  done: Promise<void>;
}

export class Scheduler {
  private readonly options: SchedulerOptions;
  private readonly backoff: BackoffPolicy;
  private readonly logger: Logger;
  private started = false;
  private current: RunningSync | undefined;
  private pending: SyncTrigger | undefined;
  private timer: NodeJS.Timeout | undefined;
  private timerDue: Date | undefined;
  private task: ScheduledTask | undefined;
  private failures = 0;
  private idleWaiters: Array<() => void> = [];

  constructor(options: SchedulerOptions) {
    this.options = options;
    this.backoff = { ...DEFAULT_BACKOFF, ...options.backoff };
    this.logger = options.logger ?? silentLogger;
  }

  start(): void {
    if (this.started) return;
    this.started = true;
    const schedule = this.options.schedule;
    if (schedule.kind === 'cron') {
      this.task = cron.createTask(schedule.expression, () => void this.trigger('schedule'), {
        ...(schedule.timezone ? { timezone: schedule.timezone } : {}),
        name: 'image-gitops-sync',
      });
      void this.task.start();
    }
    if (this.options.syncAtStart ?? true) this.trigger('startup');
    else this.armTimer();
  }

  /** Asks for a sync now: it starts, or follows the running one (at most one follow-up is ever queued). */
  trigger(trigger: SyncTrigger): TriggerOutcome {
    if (!this.started) return 'stopped';
    if (this.current) {
      if (this.pending) return 'coalesced';
      this.pending = trigger;
      return 'queued';
    }
    this.launch(trigger);
    return 'started';
  }

  isSyncing(): boolean {
    return this.current !== undefined;
  }

  consecutiveFailures(): number {
    return this.failures;
  }

  /** When the next scheduled (or retry) sync is due, if one is. */
  nextSyncAt(): Date | undefined {
    const cronNext = this.task?.getNextRun() ?? undefined;
    const due = [this.timerDue, cronNext].filter((d): d is Date => d !== undefined);
    return due.length === 0 ? undefined : new Date(Math.min(...due.map((d) => d.getTime())));
  }

  /** Resolves when no sync is running and none is queued. */
  idle(): Promise<void> {
    if (!this.current && !this.pending) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /**
   * Stops scheduling and drops a queued follow-up; a running sync gets `graceMs` to finish, then its signal is
   * aborted and it gets `abortWaitMs` more to wind down. Resolves with whether it had to be aborted.
   */
  async stop(graceMs = 0, abortWaitMs = 10_000): Promise<{ aborted: boolean }> {
    this.started = false;
    this.pending = undefined;
    this.clearTimer();
    if (this.task) {
      const task = this.task;
      this.task = undefined;
      await task.destroy();
    }
    const running = this.current;
    if (!running) return { aborted: false };
    if (await settlesWithin(running.done, graceMs)) return { aborted: false };
    this.logger.warn('aborting the running sync', { trigger: running.trigger, graceMs });
    running.controller.abort(new Error('the reconciler is shutting down'));
    if (!(await settlesWithin(running.done, abortWaitMs))) {
      this.logger.error('the aborted sync did not stop in time', { abortWaitMs });
    }
    return { aborted: true };
  }

  private launch(trigger: SyncTrigger): void {
    this.clearTimer();
    const controller = new AbortController();
    const deadlineMs = this.options.deadlineMs ?? DEFAULT_SYNC_DEADLINE_MS;
    const deadline = setTimeout(() => {
      this.logger.warn('sync deadline passed: aborting the sync between steps', { trigger, deadlineMs });
      controller.abort(new SyncDeadlineError(deadlineMs));
    }, deadlineMs);
    const done = this.runOnce(trigger, controller.signal).then(() => {
      clearTimeout(deadline);
      this.afterSync();
    });
    this.current = { trigger, controller, done };
  }

  private async runOnce(trigger: SyncTrigger, signal: AbortSignal): Promise<void> {
    try {
      const report = await this.options.sync(trigger, signal);
      if (report.result === 'Failed') this.failures += 1;
      else this.failures = 0;
      this.options.onReport?.(report);
    } catch (error) {
      this.failures += 1;
      this.logger.error('sync threw', { trigger, error });
    }
  }

  private afterSync(): void {
    this.current = undefined;
    if (this.started && this.pending) {
      const next = this.pending;
      this.pending = undefined;
      this.launch(next);
      return;
    }
    if (this.started) this.armTimer();
    for (const resolve of this.idleWaiters.splice(0)) resolve();
  }

  private armTimer(): void {
    this.clearTimer();
    const schedule = this.options.schedule;
    let delay: number | undefined;
    const retry =
      this.failures > 0 ? backoffDelay(this.failures, this.backoff, this.options.random) : undefined;
    if (schedule.kind === 'interval') {
      delay = retry === undefined ? schedule.everyMs : Math.min(retry, schedule.everyMs);
    } else if (retry !== undefined) {
      const toNextTick = this.task?.msToNext() ?? Number.POSITIVE_INFINITY;
      if (retry < toNextTick) delay = retry;
    }
    if (delay === undefined) return;
    if (retry !== undefined)
      this.logger.info('retrying after a failed sync', { failures: this.failures, delayMs: delay });
    this.timerDue = new Date(Date.now() + delay);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.timerDue = undefined;
      this.trigger('schedule');
    }, delay);
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.timerDue = undefined;
  }
}

function settlesWithin(promise: Promise<void>, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    void promise.then(() => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}
