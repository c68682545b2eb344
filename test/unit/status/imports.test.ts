// src/status reports changes; it does not depend on the engine that makes them or the apply that carries
// them out: the change type it reads is src/plan/change.ts, shared with plan and apply.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '../../..');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

describe('src/status imports', () => {
  it('nothing from src/engine or src/apply, and the change type from src/plan/change.ts', () => {
    const files = sources(join(ROOT, 'src/status'));
    const imports = files.flatMap((file) =>
      [...readFileSync(file, 'utf8').matchAll(/from '(\.[^']+)'/g)].map((m) => ({
        file: relative(ROOT, file),
        target: relative(ROOT, resolve(dirname(file), m[1]!)),
      })),
    );
    assert.ok(imports.length > 0);
    assert.deepEqual(
      imports.filter((i) => /^src\/(engine|apply)\//.test(i.target)),
      [],
    );
    assert.ok(imports.some((i) => i.file === 'src/status/report.ts' && i.target === 'src/plan/change.js'));
  });
});
