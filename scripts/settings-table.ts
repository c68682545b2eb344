/**
 * The README's settings table, made from schemas/settings.schema.json (the schema start-up checks the
 * environment against), between two marker comments, formatted by Biome as the rest of the README is.
 * scripts/generate-settings-table.ts writes it; a unit test fails when the README's copy is stale.
 */
import type { SettingsSchema, VariableSchema } from '../src/config/settings-schema.js';
import { formatWithBiome } from './biome-format.js';

export const TABLE_BEGIN =
  '<!-- settings:begin: generated from schemas/settings.schema.json by npm run generate:settings-table -->';
export const TABLE_END = '<!-- settings:end -->';

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

function code(value: string | number | boolean): string {
  return `\`${String(value)}\``;
}

/** The kind of value, short: `whole number ≥ 1`, `number, 0 to 1`, `` `debug` | `info` ``. */
export function valueWords(schema: VariableSchema): string {
  const unit = schema['x-unit'] ? ` (${schema['x-unit']})` : '';
  const { minimum, maximum, exclusiveMinimum } = schema;
  const range = (noun: string) => {
    if (exclusiveMinimum !== undefined) return `${noun} > ${exclusiveMinimum}`;
    if (maximum !== undefined) return `${noun}, ${minimum ?? 0} to ${maximum}`;
    return `${noun} ≥ ${minimum ?? 0}`;
  };
  let words: string;
  if (schema.enum) words = schema.enum.map(code).join(' \\| ');
  else if (schema.type === 'boolean') words = `${code(true)} / ${code(false)}`;
  else if (schema.type === 'integer') words = range('whole number');
  else if (schema.type === 'number') words = range('number') + unit;
  else words = schema['x-expected'] ?? 'text';
  return schema['x-secret'] ? `${words}, secret (never shown)` : words;
}

function defaultWords(name: string, schema: VariableSchema, required: readonly string[]): string {
  if (required.includes(name)) return 'required';
  if (schema.default !== undefined) return code(schema.default);
  return schema['x-default'] ?? 'none';
}

export function settingsTable(schema: SettingsSchema): string {
  const rows = Object.entries(schema.properties).map(([name, variable]) =>
    [
      code(name),
      valueWords(variable),
      defaultWords(name, variable, schema.required),
      cell(variable.description ?? ''),
    ].join(' | '),
  );
  return [
    '| variable | value | default | meaning |',
    '|---|---|---|---|',
    ...rows.map((r) => `| ${r} |`),
  ].join('\n');
}

/** The README with the table between the markers replaced by `table`. */
export function withSettingsTable(readme: string, table: string): string {
  const begin = readme.indexOf(TABLE_BEGIN);
  const end = readme.indexOf(TABLE_END);
  if (begin < 0 || end < begin) throw new Error(`the README has no ${TABLE_BEGIN} ... ${TABLE_END} markers`);
  return `${readme.slice(0, begin + TABLE_BEGIN.length)}\n${table}\n${readme.slice(end)}`;
}

/** The README text with the table `schema` makes, as `npm run generate:settings-table` writes it. */
export function readmeWithSettingsTable(root: string, readme: string, schema: SettingsSchema): string {
  return formatWithBiome(root, 'README.md', withSettingsTable(readme, settingsTable(schema)));
}
