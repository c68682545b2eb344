// Reading one YAML file into documents: which files count, the problems a file can have (their message
// and where), which documents are kept, and where a field path points.
import assert from 'node:assert/strict';
import { isManifestFile, parseManifestFile } from '../../../src/manifests/parse.js';

function parse(content: string) {
  return parseManifestFile({ path: 'f.yaml', content });
}

describe('parsing a manifest file', () => {
  it('takes .yaml and .yml files in any case, and only when the name ends so', () => {
    assert.deepEqual(
      ['a.yaml', 'b.yml', 'C.YAML', 'a.yaml.orig', 'b.yml~', 'notes.yamlx', 'a.json'].map(isManifestFile),
      [true, true, true, false, false, false, false],
    );
  });

  it("reports a syntax error with the first line of the parser's message, at its line and column", () => {
    assert.deepEqual(parse('kind: X\nspec: [1\n').problems, [
      {
        code: 'YAML_PARSE',
        message:
          'YAML syntax: Flow sequence in block collection must be sufficiently indented and end with a ]',
        location: { file: 'f.yaml', line: 3, column: 1 },
      },
    ]);
    assert.deepEqual(parse('kind: X\nkind: Y\n').problems, [
      {
        code: 'YAML_PARSE',
        message: 'YAML syntax: Map keys must be unique',
        location: { file: 'f.yaml', line: 2, column: 1 },
      },
    ]);
  });

  it('reports an alias bomb at the start of its own document, keeping the documents before it', () => {
    const levels = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
    for (const [prev, name] of [
      ['a', 'b'],
      ['b', 'c'],
      ['c', 'd'],
    ]) {
      levels.push(`${name}: &${name} [${Array(10).fill(`*${prev}`).join(', ')}]`);
    }
    const parsed = parse(`kind: One\n---\n${levels.join('\n')}\n`);
    assert.deepEqual(parsed.problems, [
      {
        code: 'YAML_PARSE',
        message: 'YAML: Excessive alias count indicates a resource exhaustion attack',
        location: { file: 'f.yaml', line: 3, column: 1 },
      },
    ]);
    assert.deepEqual(
      parsed.documents.map((d) => d.value),
      [{ kind: 'One' }],
    );
  });

  it('skips empty and comment-only documents, and keeps scalar ones (an empty string, null) for the loader to refuse', () => {
    const parsed = parse('---\n---\n# only a comment\n---\nhello\n---\n""\n---\n~\n');
    assert.deepEqual(
      parsed.documents.map((d) => [d.line, d.value]),
      [
        [5, 'hello'],
        [7, ''],
        [9, null],
      ],
    );
    assert.deepEqual(parsed.problems, []);
  });

  it('points a missing field at where its parent mapping starts, and an existing one at its key', () => {
    const [document] = parse('kind: X\nspec:\n  image: nginx\n  tags:\n    - a\n').documents;
    assert.deepEqual(document?.locate(['spec', 'mode']), {
      file: 'f.yaml',
      line: 3,
      column: 3,
      field: '/spec/mode',
    });
    assert.deepEqual(document?.locate(['spec', 'tags']), {
      file: 'f.yaml',
      line: 4,
      column: 3,
      field: '/spec/tags',
    });
    assert.deepEqual(document?.locate(['spec', 'tags', 0]), {
      file: 'f.yaml',
      line: 5,
      column: 7,
      field: '/spec/tags/0',
    });
    assert.deepEqual(document?.locate([]), { file: 'f.yaml', line: 1, column: 1 });
  });
});
