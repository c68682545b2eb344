/** Text as Biome (with the project's biome.json) formats it, so that generated files pass `biome check`. */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

/** `path` (from `root`) picks the language and the settings; the file itself is neither read nor written. */
export function formatWithBiome(root: string, path: string, text: string): string {
  return execFileSync(join(root, 'node_modules/.bin/biome'), ['format', `--stdin-file-path=${path}`], {
    cwd: root,
    input: text,
    encoding: 'utf8',
  });
}
