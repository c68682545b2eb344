/** `npm run generate:settings-table`: writes the README's settings table from schemas/settings.schema.json. */
import { readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { settingsSchema } from '../src/config/settings-schema.js';
import { readmeWithSettingsTable } from './settings-table.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const readme = join(root, 'README.md');
await writeFile(readme, readmeWithSettingsTable(root, await readFile(readme, 'utf8'), settingsSchema()));
console.log(`wrote the settings table of ${readme}`);
