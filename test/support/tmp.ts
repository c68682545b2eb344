// Temporary folders for tests, removed when the test process exits (or earlier with removeTempDir).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const created = new Set<string>();
let hooked = false;

/** Creates a fresh folder under the OS temp dir, e.g. `/tmp/ig-registry-AbC123`. */
export function makeTempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `ig-${prefix}-`));
  created.add(dir);
  if (!hooked) {
    hooked = true;
    process.once('exit', removeAllTempDirs);
  }
  return dir;
}

export function removeTempDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  created.delete(dir);
}

export function removeAllTempDirs(): void {
  for (const dir of created) {
    try {
      rmSync(dir, { recursive: true, force: true });
    } catch {
      // Best effort at exit: a folder still in use is left to the OS temp cleaner.
    }
  }
  created.clear();
}
