// The one place Secret values are hidden (src/core/secret-mask.ts), and the outputs that go through it.
import assert from 'node:assert/strict';
import { unifiedDiff } from '../../../src/cli/format.js';
import type { KubeObject } from '../../../src/core/kube-object.js';
import { createLogger } from '../../../src/core/logger.js';
import { maskSecret, maskSecrets, maskSecretValuesIn } from '../../../src/core/secret-mask.js';

const VALUE = 'hunter2-the-value';
const b64 = (text: string) => Buffer.from(text).toString('base64');
const secret = (data: Record<string, string>): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: { name: 'creds', namespace: 'ns' },
  data,
});

describe('Secret masking', () => {
  it('keeps the keys, marks which changed or were added against the other side, shows no value', () => {
    const live = secret({ same: b64('a'), moved: b64(VALUE) });
    const desired = secret({ same: b64('a'), moved: b64('other'), fresh: b64('new') });
    assert.deepEqual(maskSecret(desired, live).data, {
      same: '(hidden)',
      moved: '(hidden, changed)',
      fresh: '(hidden, added)',
    });
    assert.deepEqual(maskSecret({ ...live, stringData: { plain: VALUE } }).stringData, { plain: '(hidden)' });
  });

  it('masks every Secret inside any value, and nothing else', () => {
    const report = {
      changes: [{ applied: secret({ k: b64(VALUE) }) }],
      other: { kind: 'ConfigMap', data: { k: 'v' } },
    };
    const masked = maskSecrets(report);
    assert.ok(!JSON.stringify(masked).includes(b64(VALUE)));
    assert.deepEqual(masked.other, report.other);
    assert.equal(
      (report.changes[0]!.applied.data as Record<string, string>).k,
      b64(VALUE),
      'the input is not changed',
    );
  });

  it('logs a Secret at any level with its keys and no value', () => {
    const lines: string[] = [];
    const log = createLogger({ level: 'debug', write: (line) => lines.push(line) });
    log.debug('answer', { object: secret({ k: b64(VALUE) }) });
    log.error('answer', { nested: { list: [secret({ k: b64(VALUE) })] } });
    assert.equal(lines.length, 2);
    for (const line of lines) {
      assert.ok(!line.includes(b64(VALUE)), line);
      assert.match(line, /"k":"\(hidden\)"/);
    }
  });

  it("takes a Secret's values, stored and decoded, out of a message about it", () => {
    const message = `Secret "creds" is invalid: data[k]: Invalid value: "${VALUE}" (${b64(VALUE)})`;
    assert.equal(
      maskSecretValuesIn(message, secret({ k: b64(VALUE) })),
      'Secret "creds" is invalid: data[k]: Invalid value: "(hidden)" ((hidden))',
    );
    const configMap = { ...secret({ k: b64(VALUE) }), kind: 'ConfigMap' };
    assert.equal(maskSecretValuesIn(message, configMap), message, 'only a Secret is masked');
  });

  it('diffs a Secret by its keys', () => {
    const text = unifiedDiff('s', secret({ k: b64(VALUE) }), secret({ k: b64('next') }));
    assert.ok(!text.includes(b64(VALUE)) && !text.includes(b64('next')));
    assert.match(text, /^-\s+k: \(hidden\)$/m);
    assert.match(text, /^\+\s+k: \(hidden, changed\)$/m);
  });
});
