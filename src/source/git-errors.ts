import { Errors } from 'isomorphic-git';
import {
  connectionFailureClass,
  type ErrorCode,
  httpStatusClass,
  type ProblemClass,
} from '../core/errors.js';

/** A git exchange that did not finish within the source's timeout. */
export class GitTimeoutError extends Error {
  constructor(timeoutMs: number) {
    super(`timed out after ${timeoutMs}ms`);
    this.name = 'GitTimeoutError';
  }
}

/**
 * What a failed git exchange is, from isomorphic-git's typed errors (HttpError's `data.statusCode`, as its
 * docs advise: branch on the status, never on message text) and Node's connection error codes.
 */
export function classifyGitError(error: unknown): ProblemClass & { code: ErrorCode } {
  if (error instanceof Errors.HttpError) {
    const status = error.data.statusCode;
    return { code: status === 401 || status === 403 ? 'GIT_AUTH' : 'GIT_FETCH', ...httpStatusClass(status) };
  }
  // onAuth declined to answer a challenge: there are no credentials that could work.
  if (error instanceof Errors.UserCanceledError)
    return { code: 'GIT_AUTH', reason: 'AuthenticationFailed', retryable: false };
  // Not a git smart-HTTP answer: the URL names something else (an HTML page, a dumb server).
  if (error instanceof Errors.SmartHttpError)
    return { code: 'GIT_FETCH', reason: 'BadResponse', retryable: false };
  if (error instanceof GitTimeoutError) return { code: 'GIT_FETCH', reason: 'Timeout', retryable: true };
  return { code: 'GIT_FETCH', ...(connectionFailureClass(error) ?? { reason: 'Failed', retryable: true }) };
}
