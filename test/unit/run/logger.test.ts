import assert from 'node:assert/strict';
import { createLogger, REDACTED, redactText } from '../../../src/core/logger.js';

function capture(level?: 'debug' | 'info' | 'warn' | 'error') {
  const lines: string[] = [];
  const logger = createLogger({
    ...(level ? { level } : {}),
    write: (line) => lines.push(line),
    now: () => new Date('2026-11-24T10:00:00.000Z'),
  });
  return { logger, records: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>), lines };
}

describe('JSON logger', () => {
  it('writes one JSON object per line with time, level, message and fields', () => {
    const { logger, lines, records } = capture();
    logger.info('sync finished', { result: 'Succeeded', applied: 3 });
    assert.equal(lines.length, 1);
    assert.ok(lines[0]!.endsWith('\n'));
    assert.deepEqual(records()[0], {
      time: '2026-11-24T10:00:00.000Z',
      level: 'info',
      msg: 'sync finished',
      result: 'Succeeded',
      applied: 3,
    });
  });

  it('drops lines below its level', () => {
    const { logger, records } = capture('warn');
    logger.debug('d');
    logger.info('i');
    logger.warn('w');
    logger.error('e');
    assert.deepEqual(
      records().map((r) => r.level),
      ['warn', 'error'],
    );
  });

  it('never writes secrets: secret-looking fields and URL credentials are replaced', () => {
    const { logger, lines } = capture();
    logger.info('cloning https://bot:ghp_abc123@git.example.com/org/repo.git', {
      url: 'https://bot:ghp_abc123@git.example.com/org/repo.git',
      webhookSecret: 's3cr3t',
      headers: { Authorization: 'Bearer tok-987', accept: 'json' },
      credentials: { username: 'bot', password: 'hunter2' },
      GIT_TOKEN: 'tok-555',
    });
    const text = lines.join('');
    for (const secret of ['ghp_abc123', 's3cr3t', 'tok-987', 'hunter2', 'tok-555']) {
      assert.ok(!text.includes(secret), `${secret} leaked: ${text}`);
    }
    const record = JSON.parse(lines[0]!) as Record<string, unknown>;
    assert.equal(record.url, `https://${REDACTED}@git.example.com/org/repo.git`);
    assert.deepEqual(record.headers, { Authorization: REDACTED, accept: 'json' });
  });

  it('flattens errors to name, message and code', () => {
    const { logger, records } = capture();
    const error = Object.assign(new Error('connect ECONNREFUSED 10.0.0.1:443'), { code: 'ECONNREFUSED' });
    logger.error('fetch failed', { error });
    assert.deepEqual(records()[0]!.error, {
      name: 'Error',
      message: 'connect ECONNREFUSED 10.0.0.1:443',
      code: 'ECONNREFUSED',
    });
  });

  it('child loggers add their fields, and a field cannot overwrite the level or message', () => {
    const { logger, records } = capture();
    logger.child({ component: 'leader' }).warn('lost the lease', { level: 'debug', msg: 'x' });
    const record = records()[0]!;
    assert.equal(record.component, 'leader');
    assert.equal(record.level, 'warn');
    assert.equal(record.msg, 'lost the lease');
  });

  it('masks credentials in any URL scheme within text, keeping the rest', () => {
    assert.equal(redactText('git ssh://u:p@h/r and http://h/x'), `git ssh://${REDACTED}@h/r and http://h/x`);
  });
});
