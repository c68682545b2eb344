import assert from 'node:assert/strict';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { packContext } from '../../../src/kinds/image-build/context.js';
import { readLocalFiles } from '../../../src/source/local-source.js';
import { makeTempDir } from '../../support/tmp.js';

describe('reading a local folder as a source', () => {
  it('keeps the exact bytes of a binary file, through to the packed build context', async () => {
    const root = makeTempDir('local-source');
    mkdirSync(join(root, 'app'));
    const binary = Buffer.from([0xff, 0x00, 0xfe, 0x01, 0x80, 0x81]);
    writeFileSync(join(root, 'app', 'logo.bin'), binary);
    writeFileSync(join(root, 'app', 'Dockerfile'), 'FROM scratch\nCOPY logo.bin /\n');
    const { files, problems } = await readLocalFiles(root);
    assert.deepEqual(problems, []);
    const logo = files.find((f) => f.path === 'app/logo.bin');
    assert.deepEqual(Buffer.from(logo!.bytes!), binary);

    const packed = packContext(
      { context: { path: 'app' }, dockerfile: 'Dockerfile' },
      new Map(files.map((f) => [f.path, f.bytes!])),
      512 * 1024,
      { file: 'build.yaml' },
    );
    assert.ok(packed.ok, JSON.stringify(packed));
    assert.ok(packed.ok && packed.context.archive.includes(binary), 'the archive holds the bytes unchanged');
  });

  it('refuses a symlink that leaves the folder, and reads one that stays inside', async () => {
    const root = makeTempDir('local-source');
    const outside = makeTempDir('outside');
    writeFileSync(join(outside, 'secret.yaml'), 'kind: Secret\n');
    writeFileSync(join(root, 'real.yaml'), 'kind: Real\n');
    symlinkSync(join(outside, 'secret.yaml'), join(root, 'escape.yaml'));
    symlinkSync('real.yaml', join(root, 'alias.yaml'));
    const { files, problems } = await readLocalFiles(root);
    assert.deepEqual(files.map((f) => f.path).sort(), ['alias.yaml', 'real.yaml']);
    assert.deepEqual(
      problems.map((p) => [p.code, p.location?.file]),
      [['SYMLINK_OUTSIDE', 'escape.yaml']],
    );
  });
});
