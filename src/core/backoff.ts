/**
 * Exponential backoff, the one policy shape for every retry (failed syncs, webhook notifications, API writes).
 * Each caller keeps its own numbers; the arithmetic is here. Pure: randomness comes in as a function.
 */
export interface BackoffPolicy {
  /** Wait before the first retry, before jitter. */
  initialMs: number;
  /** Ceiling on the wait, before jitter. */
  maxMs: number;
  /** Growth from one retry to the next. */
  factor: number;
  /** Share of the wait taken off at random: 0 none, 0.5 up to half, 1 anywhere down to nothing ("full jitter"). */
  jitter: number;
}

/** The wait before retry number `retry` (1 for the first), in whole milliseconds. */
export function backoffDelay(
  retry: number,
  policy: BackoffPolicy,
  random: () => number = Math.random,
): number {
  const base = Math.min(policy.maxMs, policy.initialMs * policy.factor ** Math.max(0, retry - 1));
  return Math.round(base * (1 - policy.jitter * random()));
}
