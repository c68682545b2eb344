import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PackReader } from '../../../src/source/pack-reader.js';
import { runCommand } from '../../support/processes.js';
import { makeTempDir } from '../../support/tmp.js';

const ENV = {
  ...process.env,
  GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_AUTHOR_NAME: 'Test',
  GIT_AUTHOR_EMAIL: 'test@example.com',
  GIT_COMMITTER_NAME: 'Test',
  GIT_COMMITTER_EMAIL: 'test@example.com',
};

async function git(cwd: string, ...args: string[]): Promise<string> {
  return (await runCommand('git', args, { cwd, env: ENV })).stdout;
}

/**
 * A bare repository packed by git itself, with long delta chains: many near-identical files (each a delta of
 * another), a file over 64 KiB (a delta copy of the largest size), an empty file and binary bytes.
 */
async function packedRepo(): Promise<string> {
  const work = makeTempDir('pack-work');
  for (let i = 0; i < 60; i++) {
    mkdirSync(join(work, `group-${i % 3}`), { recursive: true });
    const lines = Array.from({ length: 40 }, (_, j) => `line ${j}: value ${j === i % 40 ? i : 0}`);
    writeFileSync(join(work, `group-${i % 3}`, `file-${i}.yaml`), `${lines.join('\n')}\n`);
  }
  writeFileSync(join(work, 'large.txt'), 'x'.repeat(70_000) + 'end\n'.repeat(10));
  writeFileSync(join(work, 'empty.yaml'), '');
  writeFileSync(join(work, 'binary.bin'), Buffer.from([0, 255, 1, 254, 0x78, 0x9c]));
  await git(work, 'init', '--quiet', '--initial-branch=main');
  await git(work, 'add', '--all');
  await git(work, 'commit', '--quiet', '-m', 'first');
  writeFileSync(join(work, 'large.txt'), `${'x'.repeat(70_000)}changed\n`);
  await git(work, 'commit', '--quiet', '-am', 'second');
  const bare = join(makeTempDir('pack-bare'), 'repo.git');
  await git(work, 'clone', '--quiet', '--bare', work, bare);
  await git(bare, 'repack', '-a', '-d', '-f', '--depth=50', '--window=250', '--quiet');
  return bare;
}

describe('reading objects from pack files', () => {
  it('gives every blob byte for byte as git does, deltas and all', async () => {
    const bare = await packedRepo();
    const verify = await git(bare, 'verify-pack', '-v', ...packIndexes(bare));
    assert.match(verify, /chain length = [2-9]/, 'the pack has delta chains');
    const reader = await PackReader.open(bare);
    const blobs = (await git(bare, 'rev-list', '--objects', '--all'))
      .trim()
      .split('\n')
      .map((line) => line.split(' ')[0]!);
    let read = 0;
    for (const oid of blobs) {
      const type = (await git(bare, 'cat-file', '-t', oid)).trim();
      const found = reader.read(oid);
      assert.ok(found, `object ${oid} read from the pack`);
      assert.equal(found.type, type);
      if (type !== 'blob') continue;
      const expected = execFileSync('git', ['cat-file', 'blob', oid], { cwd: bare, env: ENV });
      assert.ok(found.object.equals(expected), `blob ${oid}`);
      read++;
    }
    assert.ok(read >= 64, `${read} blobs read`);
  });

  it('leaves to isomorphic-git what is in no pack', async () => {
    const bare = await packedRepo();
    const reader = await PackReader.open(bare);
    assert.equal(reader.read('0'.repeat(40)), undefined);
    const empty = await PackReader.open(makeTempDir('no-packs'));
    assert.equal(empty.read('0'.repeat(40)), undefined);
  });
});

function packIndexes(bare: string): string[] {
  const dir = join(bare, 'objects', 'pack');
  return readdirSync(dir)
    .filter((n) => n.endsWith('.idx'))
    .map((n) => join(dir, n));
}
