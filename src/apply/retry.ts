import { setting } from '../config/settings-schema.js';
import { type BackoffPolicy, backoffDelay } from '../core/backoff.js';
import { KubeApiError } from '../kube/errors.js';

export interface RetryOptions {
  attempts: number;
  backoff: BackoffPolicy;
  signal?: AbortSignal;
  /**
   * Backoff time shared by every call of one apply (APPLY_RETRY_BUDGET_SECONDS, default 30 s): once spent, a
   * failing call fails at once, so that a stopped API server costs a sync a bounded time.
   */
  budget?: RetryBudget;
}

/** Between attempts at one API write: 200 ms, doubling, at most 5 s, with full jitter. */
export const APPLY_BACKOFF: BackoffPolicy = { initialMs: 200, maxMs: 5000, factor: 2, jitter: 1 };

export const DEFAULT_RETRY: RetryOptions = { attempts: 5, backoff: APPLY_BACKOFF };

/** Default total backoff of one sync's apply (APPLY_RETRY_BUDGET_SECONDS). */
export const DEFAULT_APPLY_RETRY_BUDGET_MS = 30_000;

/** APPLY_RETRY_BUDGET_SECONDS (default 30): total backoff of one sync's writes, as the settings schema reads it. */
export function applyRetryBudgetMs(env: Record<string, string | undefined>): number {
  return Math.round(setting(env, 'APPLY_RETRY_BUDGET_SECONDS') * 1000);
}

/** Backoff time left to one sync's writes. */
export class RetryBudget {
  private left: number;
  private spentNoted = false;
  constructor(readonly totalMs: number) {
    this.left = totalMs;
  }
  take(ms: number): boolean {
    if (ms > this.left) {
      this.left = 0;
      this.spentNoted = true;
      return false;
    }
    this.left -= ms;
    return true;
  }
  /** Whether a retry was refused for want of budget. */
  spent(): boolean {
    return this.spentNoted;
  }
}

export class RetryBudgetSpentError extends Error {
  constructor(cause: unknown, totalMs: number) {
    const message = cause instanceof Error ? cause.message : String(cause);
    super(
      `${message} (not retried: this sync's ${Math.round(totalMs / 1000)} s retry budget is spent, APPLY_RETRY_BUDGET_SECONDS; retried next sync)`,
      { cause },
    );
    this.name = 'RetryBudgetSpentError';
  }
}

function abortError(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  return new Error(`not attempted: ${reason instanceof Error ? reason.message : 'the sync was aborted'}`);
}

function wait(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

/**
 * Retries on retryable API errors (409, 429, 5xx, connection failures) after the options' backoff, within the
 * shared budget and until the signal aborts.
 */
export async function withRetries<T>(
  fn: () => Promise<T>,
  options: RetryOptions = DEFAULT_RETRY,
): Promise<T> {
  let lastError: unknown;
  for (let attempt = 0; attempt < options.attempts; attempt++) {
    if (options.signal?.aborted) throw attempt === 0 ? abortError(options.signal) : lastError;
    try {
      return await fn();
    } catch (error) {
      lastError = error;
      if (!(error instanceof KubeApiError) || !error.retryable || attempt === options.attempts - 1)
        throw error;
      const delay = backoffDelay(attempt + 1, options.backoff);
      if (options.budget && !options.budget.take(delay))
        throw new RetryBudgetSpentError(error, options.budget.totalMs);
      await wait(delay, options.signal);
    }
  }
  throw lastError;
}
