// The packed build context: its archive names the context ConfigMap and, through it, the build Job, so the
// same files must give the same bytes, run after run and release after release.
import assert from 'node:assert/strict';
import { type PackResult, packContext } from '../../../src/kinds/image-build/context.js';

const FILES: Array<[string, string | Uint8Array]> = [
  ['app/Dockerfile', 'FROM busybox\nCOPY . /app\n'],
  ['app/src/main.sh', 'echo hello\n'],
  ['app/logo.bin', Buffer.from([0xff, 0x00, 0xfe, 0x01, 0x80])],
  ['app/grüße.txt', 'hallo\n'],
  ['other/outside.txt', 'not in the context'],
];

function pack(files: Array<[string, string | Uint8Array]>, workspaceFiles = {}): PackResult {
  return packContext(
    { context: { path: 'app' } },
    new Map(files),
    512 * 1024,
    { file: 'build.yaml' },
    workspaceFiles,
  );
}

function archiveOf(result: PackResult): Buffer {
  assert.ok(result.ok, JSON.stringify(result));
  return result.context.archive;
}

describe('the packed build context', () => {
  it('gives the same bytes for the same files, in whatever order the source lists them', () => {
    const archive = archiveOf(pack(FILES));
    assert.ok(archive.equals(archiveOf(pack([...FILES].reverse()))));
    assert.ok(!archive.equals(archiveOf(pack([...FILES, ['app/new.txt', 'x']]))));
  });

  it('keeps its bytes from one release to the next (a change renames every context ConfigMap and rebuilds)', () => {
    const result = pack(FILES, { 'registries.conf': '[[registry]]\n' });
    assert.ok(result.ok);
    assert.equal(result.context.digest, 'f6c609f0c0379083f19ff5bea4dfd94ccc494a4beec84412ccacdd96e923d41e');
  });

  it('packs a folder whose name is longer than a ustar name field', () => {
    const folder = `app/${'d'.repeat(120)}`;
    const archive = archiveOf(pack([...FILES, [`${folder}/f.txt`, 'deep\n']]));
    assert.ok(archive.includes(Buffer.from('deep\n')));
  });

  it('refuses a file path beyond ustar bounds, as before', () => {
    const result = pack([...FILES, [`app/${'n'.repeat(120)}`, 'x']]);
    assert.ok(!result.ok);
    assert.match(result.problem.message, /path too long to pack/);
  });
});
