// Archives from src/core/tar.ts unpacked by the tools that read them for real: busybox tar (the ImageBuild
// init container's) and GNU tar. Both must recreate the same tree: files with their bytes and modes,
// folders, symlinks, and the paths that need a PAX header (non-ASCII, longer than ustar holds).
import assert from 'node:assert/strict';
import { lstatSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type TarEntry, writeTar } from '../../src/core/tar.js';
import { runCommand } from '../support/processes.js';
import { makeTempDir, removeTempDir } from '../support/tmp.js';

const LONG = `${'d'.repeat(120)}/${'f'.repeat(120)}.txt`;
const ENTRIES: TarEntry[] = [
  { type: 'directory', path: 'bin' },
  { type: 'directory', path: 'd'.repeat(120) },
  { type: 'directory', path: 'grüße' },
  { type: 'file', path: 'bin/tool', content: Buffer.from('#!/bin/sh\necho hi\n'), mode: 0o755 },
  { type: 'symlink', path: 'bin/alias', target: 'tool' },
  { type: 'file', path: 'grüße/ä.bin', content: Buffer.from([0xff, 0x00, 0xfe, 0x0a]) },
  { type: 'file', path: LONG, content: Buffer.from('long path\n') },
];

const TOOLS: Array<[string, string, string[]]> = [
  ['busybox tar', 'busybox', ['tar']],
  ['GNU tar', 'tar', []],
];

describe('tar archives unpacked by real tools', () => {
  let dir: string;
  beforeEach(() => {
    dir = makeTempDir('tar-archives');
  });
  afterEach(() => removeTempDir(dir));

  for (const [name, command, prefix] of TOOLS) {
    it(`${name} recreates every file, folder and link with its bytes and mode`, async () => {
      const archive = join(dir, 'a.tar');
      writeFileSync(archive, writeTar(ENTRIES));
      const out = join(dir, 'out');
      await runCommand('mkdir', [out]);
      await runCommand(command, [...prefix, '-x', '-f', archive, '-C', out]);
      assert.equal(readFileSync(join(out, 'bin/tool'), 'utf8'), '#!/bin/sh\necho hi\n');
      assert.equal(lstatSync(join(out, 'bin/tool')).mode & 0o777, 0o755);
      assert.equal(readlinkSync(join(out, 'bin/alias')), 'tool');
      assert.deepEqual(readFileSync(join(out, 'grüße/ä.bin')), Buffer.from([0xff, 0x00, 0xfe, 0x0a]));
      assert.equal(lstatSync(join(out, 'grüße/ä.bin')).mode & 0o777, 0o644);
      assert.equal(readFileSync(join(out, LONG), 'utf8'), 'long path\n');
      assert.ok(lstatSync(join(out, 'd'.repeat(120))).isDirectory());
    });
  }

  it('GNU tar lists time 0 and owner 0/0 for every entry', async () => {
    const archive = join(dir, 'a.tar');
    writeFileSync(archive, writeTar(ENTRIES));
    const { stdout } = await runCommand('tar', ['--numeric-owner', '--full-time', '-tvf', archive], {
      env: { ...process.env, TZ: 'UTC' },
    });
    const lines = stdout.trim().split('\n');
    assert.equal(lines.length, ENTRIES.length);
    for (const line of lines) assert.match(line, /^\S+ 0\/0 +\d+ 1970-01-01 00:00:00 /, line);
  });
});
