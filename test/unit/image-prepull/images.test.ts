import assert from 'node:assert/strict';
import { parseImagesString, toContainerImages } from '../../../src/kinds/image-prepull/images.js';

describe('IMAGES string', () => {
  it('reads name=image pairs separated by ";" with blanks and a trailing ";"', () => {
    assert.deepEqual(parseImagesString(' che-code=quay.io/che-incubator/che-code:next ; node = node:20;\n'), {
      images: [
        { name: 'che-code', image: 'quay.io/che-incubator/che-code:next' },
        { name: 'node', image: 'node:20' },
      ],
      problems: [],
    });
  });

  it('keeps digests and registry ports in the image', () => {
    const { images } = parseImagesString(`a=registry.local:5000/a@sha256:${'0'.repeat(64)}`);
    assert.equal(images[0]?.image, `registry.local:5000/a@sha256:${'0'.repeat(64)}`);
  });

  it('reports each malformed entry with its position instead of skipping it', () => {
    const { images, problems } = parseImagesString('good=img:1;noequals;=img:2;empty=;a=b=c');
    assert.deepEqual(images, [{ name: 'good', image: 'img:1' }]);
    assert.deepEqual(
      problems.map((p) => p.message.match(/^IMAGES entry (\d+) "([^"]*)"/)?.slice(1)),
      [
        ['2', 'noequals'],
        ['3', '=img:2'],
        ['4', 'empty='],
        ['5', 'a=b=c'],
      ],
    );
    assert.match(problems[0]!.message, /is not name=image/);
    assert.equal(problems[0]!.field, '/spec/images');
  });

  it('reports a string that lists nothing', () => {
    assert.match(parseImagesString(' ; ').problems[0]!.message, /lists no image/);
  });
});

describe('container names', () => {
  it('makes names DNS-safe', () => {
    const { containers } = toContainerImages([
      { name: 'Che_Code', image: 'a' },
      { name: 'java.17', image: 'b' },
    ]);
    assert.deepEqual(
      containers.map((c) => c.containerName),
      ['che-code', 'java-17'],
    );
  });

  it('reports two names that become the same container name, and the reserved copy-sleep', () => {
    const { containers, problems } = toContainerImages([
      { name: 'Node', image: 'a' },
      { name: 'node', image: 'b' },
      { name: 'copy-sleep', image: 'c' },
    ]);
    assert.equal(containers.length, 1);
    assert.match(problems[0]!.message, /"Node" and "node" both become container name "node"/);
    assert.match(problems[1]!.message, /reserved/);
  });
});
