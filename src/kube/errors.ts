import { httpStatusClass, type Problem, type ProblemClass, type ReportableError } from '../core/errors.js';

/** A refusal from the Kubernetes API, with the HTTP status and the Status reason it gave. */
export class KubeApiError extends Error implements ReportableError {
  readonly status: number;
  readonly reason: string;
  readonly details: unknown;

  constructor(status: number, reason: string, message: string, details?: unknown) {
    super(message);
    this.name = 'KubeApiError';
    this.status = status;
    this.reason = reason;
    this.details = details;
  }

  /** By status: 409 conflict, 429 and 5xx retry; 403 forbidden, 422 invalid do not; 0 is no connection. */
  get problemClass(): ProblemClass {
    return kubeStatusClass(this.status);
  }

  /** Worth retrying: conflicts, throttling, server errors, and connection failures (status 0). */
  get retryable(): boolean {
    return this.problemClass.retryable;
  }

  toProblem(): Problem {
    return { code: 'KUBE_API', message: this.message, ...this.problemClass };
  }
}

/** Status 0 is the client's own: the API server could not be reached. */
export function kubeStatusClass(status: number): ProblemClass {
  return status === 0 ? { reason: 'Unreachable', retryable: true } : httpStatusClass(status);
}
