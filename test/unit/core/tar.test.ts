// The one tar writer (node-tar encodes the headers): what an archive holds, read back with node-tar's parser.
import assert from 'node:assert/strict';
import { Parser, type ReadEntry } from 'tar';
import { fitsUstarPath, type TarEntry, tarFileSize, writeTar } from '../../../src/core/tar.js';

interface ReadBack {
  path: string;
  type: string;
  mode: number | undefined;
  uid: number | undefined;
  gid: number | undefined;
  uname: string | undefined;
  gname: string | undefined;
  mtime: string | undefined;
  linkpath: string | undefined;
  content: string;
}

function readTar(archive: Buffer): ReadBack[] {
  const entries: ReadBack[] = [];
  const parser = new Parser({
    strict: true,
    onReadEntry: (entry: ReadEntry) => {
      const chunks: Buffer[] = [];
      entry.on('data', (chunk: Buffer) => chunks.push(chunk));
      entry.on('end', () =>
        entries.push({
          path: entry.path,
          type: entry.type,
          mode: entry.mode,
          uid: entry.uid,
          gid: entry.gid,
          uname: entry.uname,
          gname: entry.gname,
          mtime: entry.mtime?.toISOString(),
          linkpath: entry.linkpath,
          content: Buffer.concat(chunks).toString('latin1'),
        }),
      );
    },
  });
  parser.end(archive);
  return entries;
}

const STAMP = { mtime: new Date('2024-01-01T00:00:00Z'), owner: 'root' };
const ENTRIES: TarEntry[] = [
  { type: 'directory', path: 'bin' },
  { type: 'file', path: 'bin/busybox', content: Buffer.from([0x7f, 0x45, 0x00, 0xff]), mode: 0o755 },
  { type: 'symlink', path: 'bin/sh', target: 'busybox' },
  { type: 'file', path: 'etc/motd', content: Buffer.from('hello\n') },
];

describe('tar archives', () => {
  it('holds every entry in the given order with its type, mode, owner, time and exact bytes', () => {
    const common = { uid: 0, gid: 0, uname: 'root', gname: 'root', mtime: '2024-01-01T00:00:00.000Z' };
    assert.deepEqual(readTar(writeTar(ENTRIES, STAMP)), [
      { ...common, path: 'bin/', type: 'Directory', mode: 0o755, linkpath: undefined, content: '' },
      {
        ...common,
        path: 'bin/busybox',
        type: 'File',
        mode: 0o755,
        linkpath: undefined,
        content: '\x7fE\x00\xff',
      },
      { ...common, path: 'bin/sh', type: 'SymbolicLink', mode: 0o777, linkpath: 'busybox', content: '' },
      { ...common, path: 'etc/motd', type: 'File', mode: 0o644, linkpath: undefined, content: 'hello\n' },
    ]);
  });

  it('takes nothing from the machine: same entries, same bytes; by default time 0 and no owner names', () => {
    assert.ok(writeTar(ENTRIES, STAMP).equals(writeTar(ENTRIES, { ...STAMP })));
    const [first] = readTar(writeTar(ENTRIES));
    assert.equal(first?.mtime, '1970-01-01T00:00:00.000Z');
    assert.equal(first?.uname, '');
    assert.equal(first?.uid, 0);
  });

  it('ends with two zero blocks, every entry in whole 512-byte blocks', () => {
    const archive = writeTar([{ type: 'file', path: 'a', content: Buffer.from('x') }]);
    assert.equal(archive.length, 512 + 512 + 1024);
    assert.ok(archive.subarray(1024).equals(Buffer.alloc(1024)));
  });

  it('writes a path ustar cannot hold with a PAX header: non-ASCII names, long paths and link targets', () => {
    const long = `${'d'.repeat(120)}/${'f'.repeat(120)}`;
    const entries: TarEntry[] = [
      { type: 'file', path: 'grüße/ä.txt', content: Buffer.from('ä') },
      { type: 'directory', path: 'x'.repeat(130) },
      { type: 'file', path: long, content: Buffer.from('long') },
      { type: 'symlink', path: 'link', target: `../${'t'.repeat(120)}` },
    ];
    const read = readTar(writeTar(entries));
    assert.deepEqual(
      read.map((e) => [e.path, e.linkpath]),
      [
        ['grüße/ä.txt', undefined],
        [`${'x'.repeat(130)}/`, undefined],
        [long, undefined],
        ['link', `../${'t'.repeat(120)}`],
      ],
    );
  });

  it("counts each file's bytes in the archive exactly, a PAX header included", () => {
    for (const [path, size] of [
      ['a.txt', 0],
      ['a.txt', 1],
      ['a.txt', 512],
      ['grüße.txt', 700],
      [`${'d'.repeat(120)}/${'f'.repeat(120)}`, 3],
    ] as const) {
      const archive = writeTar([{ type: 'file', path, content: Buffer.alloc(size) }]);
      assert.equal(tarFileSize(path, size), archive.length - 1024, `${path} ${size}`);
    }
  });

  it("bounds a path as ustar's fields do: 100 bytes of name and 155 of prefix, split at a '/'", () => {
    assert.ok(fitsUstarPath('n'.repeat(100)));
    assert.ok(!fitsUstarPath('n'.repeat(101)));
    assert.ok(fitsUstarPath(`${'p'.repeat(155)}/${'n'.repeat(100)}`));
    assert.ok(!fitsUstarPath(`${'p'.repeat(156)}/${'n'.repeat(100)}`));
    assert.ok(!fitsUstarPath(`${'p'.repeat(155)}/${'n'.repeat(101)}`));
    assert.ok(fitsUstarPath(`a/${'p'.repeat(150)}/${'n'.repeat(100)}`), 'split at a later slash');
    assert.ok(!fitsUstarPath(`${'p'.repeat(101)}/`), 'a folder needs a name after its prefix');
    assert.ok(!fitsUstarPath('ä'.repeat(51)), 'counted in UTF-8 bytes');
  });
});
