import assert from 'node:assert/strict';
import { formatManifest } from '../../../src/cli/format.js';
import type { ManifestStatus } from '../../../src/status/types.js';

function status(overrides: Partial<ManifestStatus>): ManifestStatus {
  return {
    key: 'ImageSync/nginx',
    kind: 'ImageSync',
    name: 'nginx',
    file: 'nginx.yaml',
    line: 1,
    result: 'Unchanged',
    message: '',
    problems: [],
    objects: [],
    commit: 'a'.repeat(40),
    author: 'Ann',
    health: 'Healthy',
    ...overrides,
  };
}

describe('formatManifest', () => {
  it('shows the conditions under the result, the reason of Ready always, of the others when True', () => {
    assert.equal(
      formatManifest(status({})),
      [
        '= ImageSync/nginx (nginx.yaml:1): Unchanged [health Healthy]',
        '    Ready=True ReconciliationSucceeded, Reconciling=False, Stalled=False',
      ].join('\n'),
    );
  });

  it('says what to do when a retry cannot help, next to the file:line problem', () => {
    const text = formatManifest(
      status({
        result: 'Failed',
        message: 'HTTP 401; nothing applied',
        health: 'Unknown',
        problems: [
          {
            code: 'REGISTRY',
            message: 'list tags of quay.io/x: HTTP 401',
            location: { file: 'nginx.yaml', line: 4 },
            reason: 'AuthenticationFailed',
            retryable: false,
          },
        ],
      }),
    );
    assert.equal(
      text,
      [
        '✘ ImageSync/nginx (nginx.yaml:1): Failed - HTTP 401; nothing applied [health Unknown]',
        '    Ready=False AuthenticationFailed, Reconciling=False, Stalled=True AuthenticationFailed',
        '    stalled: a retry cannot help: fix the credentials (the Secret they come from)',
        '    nginx.yaml:4: list tags of quay.io/x: HTTP 401 [REGISTRY]',
      ].join('\n'),
    );
  });

  it('shows a failure the next sync retries as Reconciling, not Stalled', () => {
    const text = formatManifest(
      status({
        result: 'Failed',
        message: 'rate limited',
        problems: [{ code: 'REGISTRY', message: 'HTTP 429', reason: 'RateLimited', retryable: true }],
      }),
    );
    assert.match(
      text,
      /\n {4}Ready=False RateLimited, Reconciling=True ProgressingWithRetry, Stalled=False\n/,
    );
    assert.doesNotMatch(text, /stalled:/);
  });
});
