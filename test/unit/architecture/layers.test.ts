// The layers of src/, one way down (README, "Architecture"): a module imports only from its own layer's
// folder or from the layers below it; the kinds are siblings (none imports another, each may use the kind
// contract in src/kinds/types.ts); src/status reads the change type, never src/engine or src/apply.
// The rule is read from the import statements themselves, so it cannot drift from the code.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), '../../../src');

/** Bottom first. Folders on one line share a layer and may not import each other. */
const LAYERS: readonly (readonly string[])[] = [
  ['core'],
  ['config'],
  ['kube', 'source', 'registry', 'health'],
  ['jobs'],
  ['manifests'],
  ['render'],
  ['kinds'],
  ['plan'],
  ['apply'],
  ['status'],
  ['engine'],
  ['server'],
  ['run'],
  ['cli'],
];

/** Imports the layers would allow but that are refused all the same, with why. */
const FORBIDDEN: ReadonlyArray<{ from: string; to: string; why: string }> = [
  // One change type feeds plan, apply and status: status reads it, never the steps that make it.
  { from: 'status', to: 'apply', why: 'status reads the change type (src/plan), not the apply step' },
];

/** Imports allowed although the layers would not, each with why; the list only shrinks. */
const EXCEPTIONS: ReadonlyArray<{ from: string; to: string; why: string }> = [];

interface Import {
  from: string;
  to: string;
}

function layerOf(file: string): number {
  const top = file.split('/')[0] ?? '';
  return LAYERS.findIndex((layer) => layer.includes(top));
}

/** `kinds/image-sync/x.ts` → `image-sync`; the kinds root (types.ts, registry.ts) → undefined. */
function kindOf(file: string): string | undefined {
  const parts = file.split('/');
  return parts[0] === 'kinds' && parts.length > 2 ? parts[1] : undefined;
}

/** Why an import breaks the rule, or undefined when it keeps it. Paths relative to src/. */
function violation({ from, to }: Import): string | undefined {
  if (EXCEPTIONS.some((e) => e.from === from && e.to === to)) return undefined;
  const [fromLayer, toLayer] = [layerOf(from), layerOf(to)];
  if (fromLayer < 0) return `${from} is in no layer: add its folder to LAYERS`;
  if (toLayer < 0) return `${to} is in no layer: add its folder to LAYERS`;
  const [fromTop, toTop] = [from.split('/')[0], to.split('/')[0]];
  if (toLayer > fromLayer) return `${from} imports ${to}, a layer above it`;
  const forbidden = FORBIDDEN.find((f) => f.from === fromTop && f.to === toTop);
  if (forbidden) return `${from} imports ${to}: ${forbidden.why}`;
  if (toLayer === fromLayer && fromTop !== toTop) return `${from} imports ${to}, a folder of its own layer`;
  if (fromTop === 'kinds') {
    const [fromKind, toKind] = [kindOf(from), kindOf(to)];
    if (fromKind && toKind && fromKind !== toKind) return `${from} imports ${to}: kinds are siblings`;
    if (fromKind && to === 'kinds/registry.ts') return `${from} imports the kind registry, which imports it`;
  }
  return undefined;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

/** Every relative import and re-export of src/, as paths relative to src/ (`.js` read as `.ts`). */
function importsOf(root: string, options: { valueOnly?: boolean } = {}): Import[] {
  const found: Import[] = [];
  const statement = options.valueOnly
    ? /(?:^|\n)\s*(?:import|export)\s(?!type\b)[^;]*?from\s+'(\.{1,2}\/[^']+)'/g
    : /(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+'(\.{1,2}\/[^']+)'/g;
  for (const file of sourceFiles(root)) {
    const text = readFileSync(file, 'utf8');
    for (const match of text.matchAll(statement)) {
      const target = resolve(dirname(file), match[1]!).replace(/\.js$/, '.ts');
      found.push({ from: relative(root, file), to: relative(root, target) });
    }
    for (const match of text.matchAll(/import\(\s*'(\.{1,2}\/[^']+)'\s*\)/g)) {
      const target = resolve(dirname(file), match[1]!).replace(/\.js$/, '.ts');
      found.push({ from: relative(root, file), to: relative(root, target) });
    }
  }
  return found;
}

/** Import cycles among modules (type-only imports left out: they vanish at run time), each as a path. */
function cyclesOf(imports: readonly Import[]): string[] {
  const graph = new Map<string, string[]>();
  for (const { from, to } of imports) graph.set(from, [...(graph.get(from) ?? []), to]);
  const done = new Set<string>();
  const path: string[] = [];
  const cycles: string[] = [];
  const visit = (module: string) => {
    if (path.includes(module)) {
      cycles.push([...path.slice(path.indexOf(module)), module].join(' -> '));
      return;
    }
    if (done.has(module)) return;
    path.push(module);
    for (const next of graph.get(module) ?? []) visit(next);
    path.pop();
    done.add(module);
  };
  for (const module of graph.keys()) visit(module);
  return cycles;
}

describe('architecture: the layers of src/', () => {
  it('finds the imports of src/ (the reader works)', () => {
    const imports = importsOf(SRC);
    assert.ok(imports.length > 300, `only ${imports.length} imports found`);
    assert.ok(imports.some((i) => i.from === 'engine/reconciler.ts' && i.to === 'plan/plan.ts'));
  });

  it('every import goes down a layer or stays in its folder; kinds are siblings', () => {
    const broken = importsOf(SRC).flatMap((i) => violation(i) ?? []);
    assert.deepEqual(broken, []);
  });

  it('has no import cycle (a module that needs one goes to a folder below both)', () => {
    const valueImports = importsOf(SRC, { valueOnly: true });
    assert.deepEqual(cyclesOf(valueImports), []);
    const wrong = cyclesOf([
      ...valueImports,
      { from: 'core/hash.ts', to: 'core/labels.ts' },
      { from: 'core/labels.ts', to: 'core/hash.ts' },
    ]);
    assert.equal(wrong.length, 1, 'a deliberate cycle is found');
    assert.match(
      wrong[0]!,
      /^core\/(hash|labels)\.ts -> core\/(hash|labels)\.ts -> core\/(hash|labels)\.ts$/,
    );
  });

  it('refuses a deliberately wrong import of each sort', () => {
    assert.match(violation({ from: 'core/hash.ts', to: 'engine/reconciler.ts' }) ?? '', /a layer above/);
    assert.match(
      violation({ from: 'status/report.ts', to: 'apply/executor.ts' }) ?? '',
      /not the apply step/,
    );
    assert.match(violation({ from: 'status/report.ts', to: 'engine/summary.ts' }) ?? '', /a layer above/);
    assert.match(violation({ from: 'kube/client.ts', to: 'source/git-source.ts' }) ?? '', /its own layer/);
    assert.match(
      violation({ from: 'kinds/image-backup/render.ts', to: 'kinds/image-sync/naming.ts' }) ?? '',
      /kinds are siblings/,
    );
    assert.match(violation({ from: 'kinds/image-sync/index.ts', to: 'kinds/registry.ts' }) ?? '', /registry/);
    assert.match(violation({ from: 'nowhere/x.ts', to: 'core/hash.ts' }) ?? '', /in no layer/);
    assert.equal(violation({ from: 'kinds/image-sync/render.ts', to: 'kinds/types.ts' }), undefined);
    assert.equal(violation({ from: 'engine/reconciler.ts', to: 'plan/plan.ts' }), undefined);
  });
});
