import assert from 'node:assert/strict';
import type { Problem } from '../../../src/core/errors.js';
import { loadManifests, supportedKinds } from '../../../src/kinds/registry.js';
import type { LoadedManifests } from '../../../src/manifests/types.js';

/** A valid ImageSync; line numbers in the tests below refer to this layout. */
function imageSync(name: string): string {
  return [
    'apiVersion: image-gitops.io/v1alpha1', // 1
    'kind: ImageSync', // 2
    'metadata:', // 3
    `  name: ${name}`, // 4
    'spec:', // 5
    '  mode: OneShot', // 6
    '  source:', // 7
    '    image: nginx', // 8
    '    tag: "1.27"', // 9
    '  destination:', // 10
    '    image: registry.example.com/mirror/nginx', // 11
    '',
  ].join('\n');
}

function load(files: Record<string, string>): LoadedManifests {
  return loadManifests(Object.entries(files).map(([path, content]) => ({ path, content })));
}

/** The only problem of the only invalid document. */
function onlyProblem(loaded: LoadedManifests): Problem {
  assert.equal(loaded.manifests.length, 0, 'nothing loaded');
  assert.equal(loaded.invalid.length, 1, JSON.stringify(loaded.invalid));
  const problems = loaded.invalid[0]!.problems;
  assert.equal(problems.length, 1, JSON.stringify(problems));
  return problems[0]!;
}

describe('loading manifests', () => {
  describe('problem locations', () => {
    it('locates a missing required field at its parent, with the field path', () => {
      const content = imageSync('a').replace('    image: nginx\n', '');
      const problem = onlyProblem(load({ 'sync/a.yaml': content }));
      assert.equal(problem.code, 'SCHEMA');
      assert.match(problem.message, /required/);
      // `source:` is on line 7; its first child (tag) on line 8 is where the mapping starts.
      assert.deepEqual(problem.location, {
        file: 'sync/a.yaml',
        line: 8,
        column: 5,
        field: '/spec/source/image',
      });
    });

    it('points an unknown field at its key', () => {
      const content = imageSync('a').replace('  mode: OneShot\n', '  mode: OneShot\n  mdoe: Recurrent\n');
      const problem = onlyProblem(load({ 'a.yaml': content }));
      assert.equal(problem.code, 'SCHEMA');
      assert.match(problem.message, /unknown field "mdoe"/);
      assert.deepEqual(problem.location, { file: 'a.yaml', line: 7, column: 3, field: '/spec/mdoe' });
    });

    it('locates a wrong type deep in spec, through an array index', () => {
      const content = `${imageSync('a')}  registries:\n    - host: registry.example.com\n      tlsVerify: "no"\n`;
      const problem = onlyProblem(load({ 'a.yaml': content }));
      assert.equal(problem.code, 'SCHEMA');
      assert.equal(problem.message, 'must be boolean');
      assert.deepEqual(problem.location, {
        file: 'a.yaml',
        line: 14,
        column: 7,
        field: '/spec/registries/0/tlsVerify',
      });
    });

    it('lists the allowed values of an enum', () => {
      const content = imageSync('a').replace('mode: OneShot', 'mode: Sometimes');
      const problem = onlyProblem(load({ 'a.yaml': content }));
      assert.match(problem.message, /must be one of: "OneShot", "Recurrent", "OnceByTag"/);
      assert.deepEqual(problem.location, { file: 'a.yaml', line: 6, column: 3, field: '/spec/mode' });
    });

    it('reports every problem of a document, not just the first', () => {
      const content = imageSync('a')
        .replace('mode: OneShot', 'mode: Sometimes')
        .replace('    image: nginx\n', '');
      const loaded = load({ 'a.yaml': content });
      assert.deepEqual(loaded.invalid[0]?.problems.map((p) => p.location?.field).sort(), [
        '/spec/mode',
        '/spec/source/image',
      ]);
    });

    it('keeps the key of an invalid document, so that its objects are kept rather than pruned', () => {
      const loaded = load({ 'a.yaml': imageSync('keep-me').replace('mode: OneShot', 'mode: Sometimes') });
      assert.equal(loaded.invalid[0]?.key, 'ImageSync/keep-me');
    });
  });

  describe('kinds', () => {
    it('refuses an unknown kind, pointing at it and listing what is supported', () => {
      const problem = onlyProblem(
        load({ 'a.yaml': imageSync('a').replace('kind: ImageSync', 'kind: ImageSink') }),
      );
      assert.equal(problem.code, 'UNKNOWN_KIND');
      assert.deepEqual(problem.location, { file: 'a.yaml', line: 2, column: 1, field: '/kind' });
      for (const supported of supportedKinds()) assert.ok(problem.message.includes(supported), supported);
      assert.ok(problem.message.includes('image-gitops.io/v1alpha1 ImageSync'));
    });

    it('points an unknown apiVersion at the apiVersion', () => {
      const content = imageSync('a').replace('image-gitops.io/v1alpha1', 'image-gitops.io/v2');
      const problem = onlyProblem(load({ 'a.yaml': content }));
      assert.equal(problem.code, 'UNKNOWN_KIND');
      assert.match(
        problem.message,
        /"image-gitops\.io\/v2 ImageSync".*supported: .*image-gitops\.io\/v1alpha1 ImageSync/,
      );
      assert.deepEqual(problem.location, { file: 'a.yaml', line: 1, column: 1, field: '/apiVersion' });
    });

    it('loads an alias kind (skopeo.io/v1alpha1 Image) as its canonical kind, keeping the origin as written', () => {
      const content = [
        'apiVersion: skopeo.io/v1alpha1',
        'kind: Image',
        'metadata:',
        '  name: argocd',
        'spec:',
        '  mode: OneShot',
        '  source:',
        '    name: quay.io/argoproj/argocd',
        '    version: v2.13.1',
        '  destination:',
        '    name: registry.example.com/argocd',
        '    version: v2.13.1',
        '',
      ].join('\n');
      const loaded = load({ 'image.yaml': content });
      assert.deepEqual(loaded.invalid, []);
      const [manifest] = loaded.manifests;
      assert.equal(manifest?.kind, 'ImageSync');
      assert.equal(manifest?.key, 'ImageSync/argocd');
      assert.deepEqual(manifest?.origin, {
        file: 'image.yaml',
        line: 1,
        apiVersion: 'skopeo.io/v1alpha1',
        kind: 'Image',
      });
      assert.deepEqual(manifest?.spec, {
        mode: 'OneShot',
        source: { image: 'quay.io/argoproj/argocd', tag: 'v2.13.1' },
        destination: { image: 'registry.example.com/argocd', tag: 'v2.13.1' },
      });
    });

    it('reports the alias schema errors with their location in the alias document', () => {
      const content =
        'apiVersion: skopeo.io/v1alpha1\nkind: Image\nmetadata:\n  name: argocd\nspec:\n  mode: Never\n';
      const loaded = load({ 'image.yaml': content });
      const fields = loaded.invalid[0]?.problems.map((p) => p.location?.field);
      assert.ok(fields?.includes('/spec/mode'), JSON.stringify(loaded.invalid));
      assert.equal(loaded.invalid[0]?.key, 'ImageSync/argocd');
    });
  });

  describe('uniqueness', () => {
    it('refuses the second manifest with the same kind and name, naming the first one’s file and line', () => {
      const loaded = load({
        'b.yaml': `# the second\n${imageSync('same')}`,
        'a.yaml': `---\n${imageSync('same')}`,
      });
      assert.deepEqual(
        loaded.manifests.map((m) => [m.key, m.origin.file]),
        [['ImageSync/same', 'a.yaml']],
      );
      const problem = onlyProblem({ ...loaded, manifests: [] });
      assert.equal(problem.code, 'DUPLICATE_MANIFEST');
      assert.match(problem.message, /already defined at a\.yaml:2\b/);
      assert.deepEqual(problem.location, { file: 'b.yaml', line: 5, column: 3, field: '/metadata/name' });
    });

    it('accepts the same name for two kinds, and for two namespaces', () => {
      const prepull =
        'apiVersion: image-gitops.io/v1alpha1\nkind: ImagePrepull\nmetadata:\n  name: same\nspec:\n  images:\n    - name: busybox\n      image: busybox:1.36\n';
      const otherNs = imageSync('same').replace('  name: same', '  name: same\n  namespace: other');
      const loaded = load({ 'a.yaml': imageSync('same'), 'b.yaml': prepull, 'c.yaml': otherNs });
      assert.deepEqual(loaded.invalid, []);
      assert.deepEqual(loaded.manifests.map((m) => m.key).sort(), [
        'ImagePrepull/same',
        'ImageSync/other/same',
        'ImageSync/same',
      ]);
    });
  });

  describe('YAML', () => {
    it('reads every document of a multi-document file and skips empty ones', () => {
      const content = `---\n---\n${imageSync('one')}---\n# nothing but a comment\n---\n${imageSync('two')}---\n`;
      const loaded = load({ 'many.yaml': content });
      assert.deepEqual(loaded.invalid, []);
      assert.deepEqual(loaded.fileProblems, []);
      assert.deepEqual(
        loaded.manifests.map((m) => [m.name, m.origin.line]),
        [
          ['one', 3],
          ['two', 17],
        ],
      );
    });

    it('locates a syntax error and keeps the file’s other problems apart from manifests', () => {
      const loaded = load({
        'bad.yaml': imageSync('a').replace('  mode: OneShot', '  mode: [OneShot'),
        'good.yaml': imageSync('b'),
      });
      assert.deepEqual(
        loaded.manifests.map((m) => m.key),
        ['ImageSync/b'],
      );
      assert.equal(loaded.fileProblems.length, 1, JSON.stringify(loaded.fileProblems));
      const [problem] = loaded.fileProblems;
      assert.equal(problem?.code, 'YAML_PARSE');
      assert.equal(problem?.location?.file, 'bad.yaml');
      assert.equal(problem?.location?.line, 7);
      assert.equal(typeof problem?.location?.column, 'number');
    });

    it('refuses a duplicated key', () => {
      const loaded = load({
        'dup.yaml': imageSync('a').replace('  mode: OneShot', '  mode: OneShot\n  mode: Recurrent'),
      });
      assert.equal(loaded.manifests.length, 0);
      assert.equal(loaded.fileProblems[0]?.code, 'YAML_PARSE');
      assert.equal(loaded.fileProblems[0]?.location?.line, 7);
    });

    it('refuses an alias bomb instead of expanding it', () => {
      const levels = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
      for (const [prev, name] of [
        ['a', 'b'],
        ['b', 'c'],
        ['c', 'd'],
        ['d', 'e'],
        ['e', 'f'],
      ]) {
        levels.push(`${name}: &${name} [${Array(10).fill(`*${prev}`).join(', ')}]`);
      }
      // Refused by rule (the alias count), not by how fast this machine is: its speed is in bench/alias-bomb.ts.
      const loaded = load({ 'bomb.yaml': `${levels.join('\n')}\n` });
      assert.equal(loaded.manifests.length, 0);
      assert.equal(loaded.fileProblems.length, 1);
      assert.equal(loaded.fileProblems[0]?.code, 'YAML_PARSE');
      assert.match(loaded.fileProblems[0]!.message, /alias/i);
      assert.equal(loaded.fileProblems[0]?.location?.file, 'bomb.yaml');
    });

    it('accepts a few ordinary aliases', () => {
      const content = `${imageSync('a').replace('    image: nginx', '    image: &img nginx')}`.replace(
        '    image: registry.example.com/mirror/nginx',
        '    image: *img',
      );
      const loaded = load({ 'a.yaml': content });
      assert.deepEqual(loaded.invalid, []);
      assert.equal(
        (loaded.manifests[0]!.spec as { destination: { image: string } }).destination.image,
        'nginx',
      );
    });

    it('refuses a document that is not a mapping, located at its start', () => {
      const loaded = load({ 'list.yaml': `${imageSync('a')}---\n- just\n- a list\n` });
      assert.deepEqual(
        loaded.manifests.map((m) => m.key),
        ['ImageSync/a'],
      );
      const problem = onlyProblem({ ...loaded, manifests: [] });
      assert.equal(problem.code, 'NOT_AN_OBJECT');
      assert.deepEqual(problem.location, { file: 'list.yaml', line: 13, column: 1 });
    });

    it('ignores files that are not YAML', () => {
      const loaded = load({ 'README.md': '# not a manifest: [', 'a.yml': imageSync('a') });
      assert.deepEqual(
        loaded.manifests.map((m) => m.origin.file),
        ['a.yml'],
      );
      assert.deepEqual(loaded.fileProblems, []);
    });
  });
});
