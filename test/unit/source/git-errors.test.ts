import assert from 'node:assert/strict';
import { Errors } from 'isomorphic-git';
import { classifyGitError, GitTimeoutError } from '../../../src/source/git-errors.js';

describe('git errors', () => {
  const http = (status: number, text: string) => new Errors.HttpError(status, text, '');

  it("are classified by isomorphic-git's HttpError status code", () => {
    assert.deepEqual(classifyGitError(http(401, 'Unauthorized')), {
      code: 'GIT_AUTH',
      reason: 'AuthenticationFailed',
      retryable: false,
    });
    assert.deepEqual(classifyGitError(http(403, 'Forbidden')), {
      code: 'GIT_AUTH',
      reason: 'Forbidden',
      retryable: false,
    });
    assert.deepEqual(classifyGitError(http(404, 'Not Found')), {
      code: 'GIT_FETCH',
      reason: 'NotFound',
      retryable: false,
    });
    assert.deepEqual(classifyGitError(http(500, 'Internal Server Error')), {
      code: 'GIT_FETCH',
      reason: 'ServerError',
      retryable: true,
    });
    assert.deepEqual(classifyGitError(http(429, 'Too Many Requests')), {
      code: 'GIT_FETCH',
      reason: 'RateLimited',
      retryable: true,
    });
  });

  it('never by the text of a message: an error that only says "401 auth" is a fetch failure', () => {
    assert.deepEqual(classifyGitError(new Error('401 authentication required')), {
      code: 'GIT_FETCH',
      reason: 'Failed',
      retryable: true,
    });
    // A 500 whose status text mentions auth is still a server error.
    assert.equal(classifyGitError(http(500, 'auth backend down')).code, 'GIT_FETCH');
  });

  it('reads a refused connection, a timeout and a non-git answer by their type', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
    assert.deepEqual(classifyGitError(refused), {
      code: 'GIT_FETCH',
      reason: 'Unreachable',
      retryable: true,
    });
    assert.deepEqual(classifyGitError(new GitTimeoutError(5000)), {
      code: 'GIT_FETCH',
      reason: 'Timeout',
      retryable: true,
    });
    assert.deepEqual(classifyGitError(new Errors.SmartHttpError('<html>', '<html>')), {
      code: 'GIT_FETCH',
      reason: 'BadResponse',
      retryable: false,
    });
    assert.deepEqual(classifyGitError(new Errors.UserCanceledError()), {
      code: 'GIT_AUTH',
      reason: 'AuthenticationFailed',
      retryable: false,
    });
  });
});
