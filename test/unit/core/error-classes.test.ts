import assert from 'node:assert/strict';
import {
  connectionFailureClass,
  httpStatusClass,
  ImageGitopsError,
  problemClass,
  problemFromError,
} from '../../../src/core/errors.js';

/** An error as Node's sockets and TLS raise it: a message and a code. */
function nodeError(code: string): Error {
  return Object.assign(new Error(`connect failed (${code})`), { code });
}

describe('error classes', () => {
  it('reads HTTP statuses the same way for git, registries and the API server', () => {
    const table = [401, 403, 404, 400, 422, 409, 408, 429, 500, 502, 503, 418, 200].map((status) => [
      status,
      httpStatusClass(status).reason,
      httpStatusClass(status).retryable,
    ]);
    assert.deepEqual(table, [
      [401, 'AuthenticationFailed', false],
      [403, 'Forbidden', false],
      [404, 'NotFound', false],
      [400, 'Invalid', false],
      [422, 'Invalid', false],
      [409, 'Conflict', true],
      [408, 'Timeout', true],
      [429, 'RateLimited', true],
      [500, 'ServerError', true],
      [502, 'ServerError', true],
      [503, 'ServerError', true],
      [418, 'Failed', false],
      // A status that is not an error, where an error was expected: the answer is not what the protocol says.
      [200, 'BadResponse', false],
    ]);
  });

  it('reads connection failures by their Node error code: retried, except an untrusted certificate', () => {
    assert.deepEqual(connectionFailureClass(nodeError('ECONNREFUSED')), {
      reason: 'Unreachable',
      retryable: true,
    });
    assert.deepEqual(connectionFailureClass(nodeError('ENOTFOUND')), {
      reason: 'Unreachable',
      retryable: true,
    });
    assert.deepEqual(connectionFailureClass(nodeError('ETIMEDOUT')), { reason: 'Timeout', retryable: true });
    assert.deepEqual(connectionFailureClass(nodeError('DEPTH_ZERO_SELF_SIGNED_CERT')), {
      reason: 'TlsUntrusted',
      retryable: false,
    });
    assert.equal(connectionFailureClass(new Error('ECONNREFUSED in the text only')), undefined);
    assert.equal(connectionFailureClass('ECONNREFUSED'), undefined);
  });

  it('gives a problem without a class the default of its code: a manifest error needs a commit, a fetch a retry', () => {
    assert.deepEqual(problemClass({ code: 'SCHEMA' }), { reason: 'ValidationFailed', retryable: false });
    assert.deepEqual(problemClass({ code: 'GIT_AUTH' }), {
      reason: 'AuthenticationFailed',
      retryable: false,
    });
    assert.deepEqual(problemClass({ code: 'GIT_FETCH' }), { reason: 'Failed', retryable: true });
    assert.deepEqual(problemClass({ code: 'SECRET_REFUSED' }), { reason: 'Refused', retryable: false });
    assert.deepEqual(problemClass({ code: 'OBSERVE_FAILED' }), { reason: 'Failed', retryable: true });
    // Classified where it arose: that wins over the code's default.
    assert.deepEqual(problemClass({ code: 'GIT_FETCH', reason: 'NotFound', retryable: false }), {
      reason: 'NotFound',
      retryable: false,
    });
  });

  it('puts the class on the problem of an error that was classified, and only then (stored problems stay small)', () => {
    const classified = new ImageGitopsError('REGISTRY', 'HTTP 429', undefined, {
      classified: { reason: 'RateLimited', retryable: true },
    });
    assert.deepEqual(classified.toProblem(), {
      code: 'REGISTRY',
      message: 'HTTP 429',
      reason: 'RateLimited',
      retryable: true,
    });
    assert.deepEqual(problemFromError(classified, 'OBSERVE_FAILED'), classified.toProblem());
    assert.deepEqual(new ImageGitopsError('SCHEMA', 'bad').toProblem(), { code: 'SCHEMA', message: 'bad' });
    assert.deepEqual(new ImageGitopsError('SCHEMA', 'bad').problemClass, {
      reason: 'ValidationFailed',
      retryable: false,
    });
  });
});
