/** `npm run generate:types`: writes the spec types generated from schemas/*.json (scripts/spec-types.ts). */
import { writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateAllSpecTypes } from './spec-types.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
for (const file of await generateAllSpecTypes(root)) {
  await writeFile(join(root, file.path), file.text);
  console.log(`wrote ${file.path}`);
}
