import assert from 'node:assert/strict';
import { problemFromError } from '../../../src/core/errors.js';
import { KubeApiError } from '../../../src/kube/errors.js';

describe('Kubernetes API errors', () => {
  const refusal = (status: number, reason = 'Reason') =>
    new KubeApiError(status, reason, `refused ${status}`);

  it('are classified by HTTP status: 409 and 429 and 5xx retried, 403 and 422 not', () => {
    const table = [409, 422, 403, 401, 404, 429, 500, 503, 0].map((status) => {
      const { reason, retryable } = refusal(status).problemClass;
      return [status, reason, retryable, refusal(status).retryable];
    });
    assert.deepEqual(table, [
      [409, 'Conflict', true, true],
      [422, 'Invalid', false, false],
      [403, 'Forbidden', false, false],
      [401, 'AuthenticationFailed', false, false],
      [404, 'NotFound', false, false],
      [429, 'RateLimited', true, true],
      [500, 'ServerError', true, true],
      [503, 'ServerError', true, true],
      // Status 0: the client could not reach the API server at all.
      [0, 'Unreachable', true, true],
    ]);
  });

  it('become KUBE_API problems with their class, at the location the caller knows', () => {
    const problem = problemFromError(refusal(422, 'Invalid'), 'OBSERVE_FAILED', { file: 'a.yaml', line: 3 });
    assert.deepEqual(problem, {
      code: 'KUBE_API',
      message: 'refused 422',
      reason: 'Invalid',
      retryable: false,
      location: { file: 'a.yaml', line: 3 },
    });
  });
});
