import assert from 'node:assert/strict';
import { RegistryError } from '../../../src/registry/client.js';
import { HttpDeadlineError, HttpFailure } from '../../../src/registry/http.js';

describe('registry errors', () => {
  const classOf = (error: RegistryError) => {
    const { reason, retryable } = error.toProblem();
    return [error.code, reason, retryable];
  };

  it('are classified by the HTTP status the registry answered', () => {
    assert.deepEqual(
      [401, 403, 404, 429, 500, 503].map((status) => classOf(new RegistryError(`HTTP ${status}`, status))),
      [
        ['REGISTRY', 'AuthenticationFailed', false],
        ['REGISTRY', 'Forbidden', false],
        ['REGISTRY', 'NotFound', false],
        ['REGISTRY', 'RateLimited', true],
        ['REGISTRY', 'ServerError', true],
        ['REGISTRY', 'ServerError', true],
      ],
    );
    // A 200 whose body is not what the protocol says (the client's answer parser refused it).
    assert.deepEqual(classOf(new RegistryError('tag list is not JSON', 200)), [
      'REGISTRY',
      'BadResponse',
      false,
    ]);
  });

  it('without an answer, by what kept it from answering', () => {
    const cause = (error: unknown) => classOf(new RegistryError('GET r/v2/', undefined, { cause: error }));
    assert.deepEqual(cause(new HttpDeadlineError('no answer within 30 s')), ['REGISTRY', 'Timeout', true]);
    assert.deepEqual(cause(Object.assign(new Error('connect'), { code: 'ECONNREFUSED' })), [
      'REGISTRY',
      'Unreachable',
      true,
    ]);
    assert.deepEqual(cause(Object.assign(new Error('cert'), { code: 'SELF_SIGNED_CERT_IN_CHAIN' })), [
      'REGISTRY',
      'TlsUntrusted',
      false,
    ]);
    assert.deepEqual(
      cause(new HttpFailure('redirects to plain HTTP: refused', { reason: 'Refused', retryable: false })),
      ['REGISTRY', 'Refused', false],
    );
    assert.deepEqual(cause(new DOMException('signal timed out', 'TimeoutError')), [
      'REGISTRY',
      'Timeout',
      true,
    ]);
  });

  it('with neither, a broken answer: not mended by a retry', () => {
    assert.deepEqual(classOf(new RegistryError('endless tag pagination')), [
      'REGISTRY',
      'BadResponse',
      false,
    ]);
  });
});
