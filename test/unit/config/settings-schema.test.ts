import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { applyRetryBudgetMs } from '../../../src/apply/retry.js';
import { configFromEnv } from '../../../src/config/reconciler-config.js';
import { DEFAULT_SETTINGS, settingsFromEnv } from '../../../src/config/settings.js';
import {
  checkSettingsEnv,
  settingProblem,
  settingsSchema,
  type VariableSchema,
} from '../../../src/config/settings-schema.js';
import { DEFAULT_RENEW_BEFORE_MS, publicEcrTagPaging } from '../../../src/registry/ecr.js';
import { registryLimitsFromEnv } from '../../../src/registry/limits.js';
import { DEFAULT_SHUTDOWN_GRACE_MS } from '../../../src/run/daemon.js';
import { DEFAULT_SYNC_DEADLINE_MS } from '../../../src/run/scheduler.js';

const base = { GIT_URL: 'https://git.example.com/config.git' };
const root = join(import.meta.dirname, '../../..');
const src = join(root, 'src');
const { properties } = settingsSchema();

/** Variables read but not the reconciler's settings: the local folder's author, a fallback, one it sets. */
const NOT_SETTINGS = new Set(['USER', 'HOSTNAME', 'AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED']);

function filesUnder(dir: string, suffix: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? filesUnder(join(dir, entry.name), suffix)
      : entry.name.endsWith(suffix)
        ? [join(dir, entry.name)]
        : [],
  );
}

/** `env.NAME`, `env['NAME']` and `(env, 'NAME_WITH_UNDERSCORE'` in src/: the variables the code reads. */
function variablesReadIn(text: string): string[] {
  const patterns = [/\benv(?:\.|\[')([A-Z][A-Z0-9_]+)/g, /\((?:this\.)?env, '([A-Z][A-Z0-9]*_[A-Z0-9_]+)'/g];
  return patterns.flatMap((pattern) => [...text.matchAll(pattern)].map((m) => m[1]!));
}

/** Everything the environment decides, from every reader that is a pure function of it. */
function readAll(env: Record<string, string>) {
  return {
    config: configFromEnv({ ...base, ...env }),
    registryLimits: registryLimitsFromEnv(env),
    applyRetryBudgetMs: applyRetryBudgetMs(env),
    publicEcrPaging: publicEcrTagPaging(env)('public.ecr.aws'),
  };
}

function numeric(schema: VariableSchema): boolean {
  return schema.type === 'integer' || schema.type === 'number';
}

describe('settings schema (schemas/settings.schema.json)', () => {
  it('describes every environment variable the reconciler reads', () => {
    const read = new Set(
      filesUnder(src, '.ts').flatMap((file) => variablesReadIn(readFileSync(file, 'utf8'))),
    );
    const missing = [...read].filter((name) => !properties[name] && !NOT_SETTINGS.has(name));
    assert.deepEqual(missing, [], 'read in src/ but not in the schema');
    assert.ok(read.has('APPLY_CONCURRENCY') && read.has('REGISTRY_MAX_TAGS'), 'the scan finds the readers');
  });

  it('knows every variable deploy/ sets (the plain manifests and the Helm chart)', () => {
    const set = filesUnder(join(root, 'deploy'), '.yaml').flatMap((file) =>
      [...readFileSync(file, 'utf8').matchAll(/^\s*- name: ([A-Z][A-Z0-9_]+)\s*$/gm)].map((m) => m[1]!),
    );
    assert.ok(set.includes('GIT_URL'), 'the scan finds the env lists');
    // NODE_OPTIONS is Node's own.
    assert.deepEqual(
      [...new Set(set)].filter((name) => !properties[name] && name !== 'NODE_OPTIONS'),
      [],
    );
  });

  it("gives each default the readers' own: setting a variable to its default changes nothing", () => {
    const unset = readAll({});
    for (const [name, schema] of Object.entries(properties)) {
      if (schema.default === undefined) continue;
      assert.deepEqual(readAll({ [name]: String(schema.default) }), unset, name);
    }
    // Defaults that live in constants of their own (read outside those readers).
    assert.equal(properties.SHUTDOWN_GRACE_SECONDS?.default, DEFAULT_SHUTDOWN_GRACE_MS / 1000);
    assert.equal(properties.SYNC_DEADLINE_SECONDS?.default, DEFAULT_SYNC_DEADLINE_MS / 1000);
    assert.equal(properties.AWS_ECR_TOKEN_RENEW_BEFORE_SECONDS?.default, DEFAULT_RENEW_BEFORE_MS / 1000);
    const { registryMirror: _none, ...settings } = settingsFromEnv({});
    assert.deepEqual(settings, DEFAULT_SETTINGS, 'DEFAULT_SETTINGS says what an empty environment gives');
  });

  it('stops start-up on a number out of its bounds, naming the variable and the bound; takes the bounds', () => {
    for (const [name, schema] of Object.entries(properties)) {
      if (!numeric(schema)) continue;
      const low = schema.exclusiveMinimum ?? (schema.minimum ?? 0) - 1;
      assert.throws(
        () => configFromEnv({ ...base, [name]: String(low) }),
        new RegExp(`${name} must be a`),
        name,
      );
      assert.throws(() => configFromEnv({ ...base, [name]: 'soon' }), new RegExp(`${name} must be`), name);
      if (schema.maximum !== undefined) {
        assert.throws(() => configFromEnv({ ...base, [name]: String(schema.maximum! + 1) }), /to/, name);
        assert.doesNotThrow(() => configFromEnv({ ...base, [name]: String(schema.maximum) }), name);
      }
      if (schema.type === 'integer')
        assert.throws(
          () => configFromEnv({ ...base, [name]: `${(schema.minimum ?? 0) + 1}.5` }),
          /whole number|integer/,
        );
      const lowest = schema.minimum ?? schema.exclusiveMinimum! + 1;
      assert.doesNotThrow(() => configFromEnv({ ...base, [name]: String(lowest) }), name);
    }
  });

  it('stops start-up on a word outside an enumeration or a boolean, saying what it takes', () => {
    assert.throws(
      () => configFromEnv({ ...base, LOG_LEVEL: 'loud' }),
      /LOG_LEVEL must be debug, info, warn or error, got "loud"/,
    );
    assert.throws(
      () => configFromEnv({ ...base, GIT_AUTH_SCHEME: 'token' }),
      /GIT_AUTH_SCHEME must be basic or bearer/,
    );
    assert.throws(
      () => configFromEnv({ ...base, PRUNE: 'maybe' }),
      /PRUNE must be true or false, got "maybe"/,
    );
    assert.throws(
      () => configFromEnv({ ...base, SKOPEO_VERSION: 'v1 && x' }),
      /SKOPEO_VERSION must be an image tag/,
    );
    assert.equal(configFromEnv({ ...base, LOG_LEVEL: 'debug' }).logLevel, 'debug');
  });

  it('reads booleans as true/false, 1/0, yes/no or on/off, in any case', () => {
    for (const [text, value] of [
      ['true', true],
      ['YES', true],
      ['1', true],
      ['On', true],
      ['false', false],
      ['no', false],
      ['0', false],
      ['OFF', false],
    ] as const) {
      assert.equal(configFromEnv({ ...base, LEADER_ELECTION: text }).leaderElection.enabled, value, text);
    }
  });

  it('names every wrong variable at once', () => {
    assert.throws(
      () =>
        checkSettingsEnv({ ...base, APPLY_CONCURRENCY: '0', HISTORY_LIMIT: '500', REGISTRY_MAX_TAGS: 'x' }),
      (error: Error) =>
        /APPLY_CONCURRENCY must/.test(error.message) &&
        /HISTORY_LIMIT must be a whole number from 1 to 200/.test(error.message) &&
        /REGISTRY_MAX_TAGS must/.test(error.message),
    );
    assert.throws(() => checkSettingsEnv({}), /GIT_URL is required/);
  });

  it('marks every variable that holds or leads to a secret, and never shows its value', () => {
    const secretLooking = Object.keys(properties).filter(
      (name) => /(PASSWORD|TOKEN|_SECRET)(_FILE)?$/.test(name) && name !== 'DOCKER_CERTIFICATE_SECRET',
    );
    assert.ok(secretLooking.length >= 10);
    for (const name of secretLooking) assert.equal(properties[name]?.['x-secret'], true, name);
    const secretNumber: VariableSchema = { type: 'integer', minimum: 1, 'x-secret': true };
    const message = settingProblem('SOME_TOKEN', 'hunter2-not-for-output', secretNumber);
    assert.match(message, /^SOME_TOKEN must be a whole number of at least 1/);
    assert.ok(!message.includes('hunter2'), 'the value is not in the message');
    assert.match(settingProblem('SOME_COUNT', 'many', { type: 'integer' }), /got "many"/);
  });
});
