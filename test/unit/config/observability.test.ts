import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { observabilityFromEnv } from '../../../src/config/observability.js';
import { makeTempDir } from '../../support/tmp.js';

describe('observability settings', () => {
  const dir = makeTempDir('observability');
  const file = (name: string, content: string) => {
    writeFileSync(join(dir, name), content);
    return join(dir, name);
  };

  it('defaults: 20 syncs of history, an open page reloading every 30 s, no notifier', () => {
    assert.deepEqual(observabilityFromEnv({}), { historyLimit: 20, page: { refreshSeconds: 30 } });
  });

  it('reads the page token and the notifier from Secret files, trimmed', () => {
    const settings = observabilityFromEnv({
      STATUS_PAGE_TOKEN_FILE: file('token', 'abc\n'),
      STATUS_PAGE_SOURCE_URL: 'https://gitlab.com/org/cfg/-/blob/{commit}/{path}#L{line}',
      NOTIFY_WEBHOOK_URL_FILE: file('url', 'https://hooks.slack.com/services/T/B/x\n'),
      NOTIFY_WEBHOOK_SECRET_FILE: file('secret', 's3'),
      NOTIFY_WEBHOOK_FORMAT: 'json',
      NOTIFY_WEBHOOK_RETRIES: '0',
      HISTORY_LIMIT: '5',
    });
    assert.equal(settings.page.token, 'abc');
    assert.equal(settings.historyLimit, 5);
    assert.deepEqual(settings.notify, {
      url: 'https://hooks.slack.com/services/T/B/x',
      format: 'json',
      secret: 's3',
      retries: 0,
      timeoutMs: 10_000,
    });
  });

  it('refuses what would silently do something else', () => {
    const refused = (env: Record<string, string>, message: RegExp) =>
      assert.throws(() => observabilityFromEnv(env), message);
    refused({ HISTORY_LIMIT: '0' }, /HISTORY_LIMIT must be a whole number from 1 to 200/);
    refused({ STATUS_PAGE_SOURCE_URL: 'https://github.com/org/cfg' }, /with \{path\}/);
    refused({ STATUS_PAGE_SOURCE_URL: 'javascript:alert(1)//{path}' }, /http\(s\) URL/);
    refused({ STATUS_PAGE_TOKEN_FILE: file('empty', '\n') }, /names an empty file/);
    refused({ STATUS_PAGE_TOKEN_FILE: join(dir, 'missing') }, /ENOENT/);
    refused({ NOTIFY_WEBHOOK_URL_FILE: file('bad-url', 'ftp://x') }, /http\(s\) URL/);
    refused(
      { NOTIFY_WEBHOOK_URL_FILE: file('u', 'https://x'), NOTIFY_WEBHOOK_FORMAT: 'teams' },
      /slack or json/,
    );
    refused({ NOTIFY_WEBHOOK_URL_FILE: file('u2', 'https://x'), NOTIFY_WEBHOOK_RETRIES: '50' }, /0 to 10/);
  });
});
