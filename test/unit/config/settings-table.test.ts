import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  readmeWithSettingsTable,
  settingsTable,
  TABLE_BEGIN,
  TABLE_END,
  valueWords,
  withSettingsTable,
} from '../../../scripts/settings-table.js';
import { settingsSchema } from '../../../src/config/settings-schema.js';

const root = join(import.meta.dirname, '../../..');
const readme = readFileSync(join(root, 'README.md'), 'utf8');

describe("README's settings table", () => {
  it('is the one schemas/settings.schema.json makes (else: npm run generate:settings-table)', () => {
    const fresh = readmeWithSettingsTable(root, readme, settingsSchema());
    assert.equal(readme, fresh, 'the README settings table is stale: run npm run generate:settings-table');
  });

  it('has a row per variable: its value, default and meaning', () => {
    const table = settingsTable({
      required: ['GIT_URL'],
      properties: {
        GIT_URL: { type: 'string', description: 'the repository' },
        HISTORY_LIMIT: { type: 'integer', minimum: 1, maximum: 200, default: 20, description: 'kept syncs' },
        NAMESPACE: { type: 'string', 'x-default': 'POD_NAMESPACE, else image-gitops' },
        GIT_PASSWORD: { type: 'string', 'x-secret': true, description: 'a | b' },
      },
    });
    assert.deepEqual(table.split('\n').slice(2), [
      '| `GIT_URL` | text | required | the repository |',
      '| `HISTORY_LIMIT` | whole number, 1 to 200 | `20` | kept syncs |',
      '| `NAMESPACE` | text | POD_NAMESPACE, else image-gitops |  |',
      '| `GIT_PASSWORD` | text, secret (never shown) | none | a \\| b |',
    ]);
  });

  it('says each kind of value in a few words', () => {
    assert.equal(valueWords({ enum: ['slack', 'json'] }), '`slack` \\| `json`');
    assert.equal(valueWords({ type: 'boolean' }), '`true` / `false`');
    assert.equal(
      valueWords({ type: 'number', exclusiveMinimum: 0, 'x-unit': 'seconds' }),
      'number > 0 (seconds)',
    );
    assert.equal(valueWords({ type: 'integer', minimum: 0 }), 'whole number ≥ 0');
    assert.equal(
      valueWords({ type: 'string', pattern: '^a$', 'x-expected': 'an image tag' }),
      'an image tag',
    );
  });

  it('replaces only what is between the markers, and refuses a README without them', () => {
    const text = `before\n${TABLE_BEGIN}\nold\n${TABLE_END}\nafter\n`;
    assert.equal(withSettingsTable(text, 'new'), `before\n${TABLE_BEGIN}\nnew\n${TABLE_END}\nafter\n`);
    assert.throws(() => withSettingsTable('no markers', 'new'), /markers/);
  });
});
