import assert from 'node:assert/strict';
import { loadManifests } from '../../../src/kinds/registry.js';
import { locateValueIn, manifestLocation } from '../../../src/manifests/load.js';
import type { Manifest } from '../../../src/manifests/types.js';

/** Two documents in one file, the second after a comment and an empty document. */
const FILE = [
  'apiVersion: image-gitops.io/v1alpha1', // 1
  'kind: ImageSync', // 2
  'metadata:', // 3
  '  name: first', // 4
  'spec:', // 5
  '  mode: OneShot', // 6
  '  source:', // 7
  '    image: nginx', // 8
  '    tag: "1.27"', // 9
  '  destination:', // 10
  '    image: registry.example.com/mirror/nginx', // 11
  '---', // 12
  '# nothing here', // 13
  '---', // 14
  'apiVersion: image-gitops.io/v1alpha1', // 15
  'kind: ImageSync', // 16
  'metadata:', // 17
  '  name: second', // 18
  'spec:', // 19
  '  mode: OneShot', // 20
  '  source:', // 21
  '    image: nginx', // 22
  '    tag: "1.27"', // 23
  '  destination:', // 24
  '    image: registry.example.com/mirror/nginx', // 25
  '  registries:', // 26
  '    - host: registry.example.com', // 27
  '      credentialsSecret: push-robot', // 28
  '',
].join('\n');

function loaded(): Manifest[] {
  const result = loadManifests([{ path: 'sync/two.yaml', content: FILE }]);
  assert.equal(result.manifests.length, 2, JSON.stringify(result.invalid));
  return result.manifests;
}

describe('locating a loaded manifest’s fields', () => {
  it('points at a field of the right document of a file', () => {
    const [first, second] = loaded();
    assert.deepEqual(manifestLocation(first!, ['metadata', 'name']), {
      file: 'sync/two.yaml',
      line: 4,
      column: 3,
      field: '/metadata/name',
    });
    assert.deepEqual(manifestLocation(second!, ['spec', 'source', 'tag']), {
      file: 'sync/two.yaml',
      line: 23,
      column: 5,
      field: '/spec/source/tag',
    });
  });

  it('points at the document’s start without a path, and at the parent of a missing field', () => {
    const [, second] = loaded();
    assert.deepEqual(manifestLocation(second!), { file: 'sync/two.yaml', line: 15, column: 1 });
    assert.deepEqual(manifestLocation(second!, ['spec', 'source', 'digest']), {
      file: 'sync/two.yaml',
      line: 22,
      column: 5,
      field: '/spec/source/digest',
    });
  });

  it('finds where a manifest names a value (a Secret), outside its metadata', () => {
    const [first, second] = loaded();
    assert.deepEqual(locateValueIn(second!, 'push-robot'), {
      file: 'sync/two.yaml',
      line: 28,
      column: 7,
      field: '/spec/registries/0/credentialsSecret',
    });
    assert.deepEqual(locateValueIn(first!, 'second'), { file: 'sync/two.yaml', line: 1, column: 1 });
  });

  it('gives the file and line of a manifest it did not load', () => {
    const [first] = loaded();
    const copy = { ...first!, origin: { ...first!.origin, line: 9 } };
    assert.deepEqual(manifestLocation(copy, ['spec']), { file: 'sync/two.yaml', line: 9 });
  });
});
