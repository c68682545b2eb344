import { KubeApiError } from '../kube/errors.js';

export interface RetryOptions {
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  signal?: AbortSignal;
}

export const DEFAULT_RETRY: RetryOptions = { attempts: 5, baseDelayMs: 200, maxDelayMs: 5000 };

/** Exponential backoff with full jitter on retryable API errors (409, 429, 5xx, connection failures). */
export async function withRetries<T>(
  fn: () => Promise<T>,
  options: RetryOptions = DEFAULT_RETRY,
): Promise<T> {
  let lastError: unknown;
  for (let attempt = 0; attempt < options.attempts; attempt++) {
    if (options.signal?.aborted) throw new Error('aborted');
    try {
      return await fn();
    } catch (error) {
      lastError = error;
      if (!(error instanceof KubeApiError) || !error.retryable || attempt === options.attempts - 1)
        throw error;
      const cap = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** attempt);
      await new Promise((resolve) => setTimeout(resolve, Math.random() * cap));
    }
  }
  throw lastError;
}
