/**
 * The reconciler's environment as schemas/settings.schema.json describes it: every variable it reads, with its
 * type, bounds, default and meaning. A variable is read through `setting` (decoded from its text, checked by
 * ajv, defaulted), and start-up checks them all with `checkSettingsEnv`, so that a bad value stops it with a
 * message naming the variable. The value of a variable marked `x-secret` is never shown.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import type { Env } from '../core/env-settings.js';
import { ImageGitopsError } from '../core/errors.js';
import { schemasDir } from '../core/paths.js';
import type { SettingsEnvironment } from './settings-env.generated.js';

export type SettingName = keyof SettingsEnvironment & string;

export interface VariableSchema {
  type?: 'string' | 'integer' | 'number' | 'boolean';
  enum?: readonly string[];
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  pattern?: string;
  default?: string | number | boolean;
  description?: string;
  /** The default in words, when it is not one value (`POD_NAMESPACE, else image-gitops`). */
  'x-default'?: string;
  /** Unit of a number, for messages (`seconds`). */
  'x-unit'?: string;
  /** What a value matching `pattern` is, for messages (`an image tag`). */
  'x-expected'?: string;
  /** The value is, or leads to, a secret: never shown. */
  'x-secret'?: boolean;
}

export interface SettingsSchema {
  required: readonly string[];
  properties: Readonly<Record<string, VariableSchema>>;
}

export const SETTINGS_SCHEMA_FILE = 'settings.schema.json';

/** The annotations of ours in the schema: ajv's strict mode refuses any other keyword it does not know. */
const ANNOTATIONS = ['x-default', 'x-unit', 'x-expected', 'x-secret'];

let schema: SettingsSchema | undefined;
const ajv = new Ajv({ strict: true });
ajv.addVocabulary(ANNOTATIONS);
const validators = new Map<string, ValidateFunction>();

export function settingsSchema(): SettingsSchema {
  schema ??= JSON.parse(readFileSync(join(schemasDir(), SETTINGS_SCHEMA_FILE), 'utf8')) as SettingsSchema;
  return schema;
}

function variable(name: string): VariableSchema {
  const found = settingsSchema().properties[name];
  if (!found) throw new Error(`${name} is not in schemas/${SETTINGS_SCHEMA_FILE}`);
  return found;
}

function validator(name: string): ValidateFunction {
  let validate = validators.get(name);
  if (!validate) {
    validate = ajv.compile(variable(name));
    validators.set(name, validate);
  }
  return validate;
}

const TRUE_WORDS = new Set(['true', '1', 'yes', 'on']);
const FALSE_WORDS = new Set(['false', '0', 'no', 'off']);

/** An environment text as the value its schema types: the text itself when it is none (ajv then says so). */
export function decodeSetting(raw: string, schema: VariableSchema): unknown {
  if (schema.type === 'integer' || schema.type === 'number') {
    const value = Number(raw);
    return Number.isNaN(value) ? raw : value;
  }
  if (schema.type === 'boolean') {
    const word = raw.trim().toLowerCase();
    if (TRUE_WORDS.has(word)) return true;
    if (FALSE_WORDS.has(word)) return false;
  }
  return raw;
}

function oneOf(values: readonly string[]): string {
  return values.length < 2 ? (values[0] ?? '') : `${values.slice(0, -1).join(', ')} or ${values.at(-1)}`;
}

/** What the schema asks for, in words: `a whole number from 1 to 200`, `debug, info, warn or error`. */
export function expectation(schema: VariableSchema): string {
  if (schema.enum) return oneOf(schema.enum);
  const unit = schema['x-unit'] ? ` of ${schema['x-unit']}` : '';
  const { minimum, maximum, exclusiveMinimum } = schema;
  switch (schema.type) {
    case 'boolean':
      return 'true or false';
    case 'integer':
      if (maximum !== undefined) return `a whole number from ${minimum ?? 0} to ${maximum}`;
      return !minimum ? 'a non-negative integer' : `a whole number of at least ${minimum}`;
    case 'number':
      if (exclusiveMinimum === 0) return `a positive number${unit}`;
      if (maximum !== undefined) return `a number from ${minimum ?? 0} to ${maximum}${unit}`;
      return `a non-negative number${unit}`;
    default:
      return schema['x-expected'] ?? (schema.pattern ? `text matching ${schema.pattern}` : 'text');
  }
}

/** The message for a value its schema refuses; a secret's value is left out. */
export function settingProblem(name: string, raw: string, schema: VariableSchema): string {
  const got = schema['x-secret'] ? '(the value is secret, so not shown)' : `got "${raw}"`;
  return `${name} must be ${expectation(schema)}, ${got}`;
}

/** Why `env[name]` cannot be used, or undefined when it can (an unset or empty variable always can). */
function problemOf(env: Env, name: string): string | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  const schema = variable(name);
  return validator(name)(decodeSetting(raw, schema)) ? undefined : settingProblem(name, raw, schema);
}

/**
 * `env[name]` decoded and checked against its schema, its schema's default when unset or empty (undefined
 * when it has none); a value the schema refuses stops the caller with a message naming the variable.
 */
export function setting<K extends SettingName>(env: Env, name: K): SettingsEnvironment[K] {
  const problem = problemOf(env, name);
  if (problem) throw new ImageGitopsError('CONFIG', problem);
  const raw = env[name];
  const schema = variable(name);
  const value = raw === undefined || raw === '' ? schema.default : decodeSetting(raw, schema);
  return value as SettingsEnvironment[K];
}

/** Every variable of the schema that `env` lacks or sets wrong, one message each. */
export function settingsProblems(env: Env): string[] {
  const { required, properties } = settingsSchema();
  const missing = required
    .filter((name) => !env[name])
    .map((name) => `${name} is required: ${properties[name]?.description ?? ''}`);
  const wrong = Object.keys(properties).flatMap((name) => problemOf(env, name) ?? []);
  return [...missing, ...wrong];
}

/** Start-up: every variable at once, so that one restart shows every mistake. */
export function checkSettingsEnv(env: Env): void {
  const problems = settingsProblems(env);
  if (problems.length > 0) throw new ImageGitopsError('CONFIG', problems.join('; '));
}
