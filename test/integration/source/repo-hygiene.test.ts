// The repo as the git source reads it: credentials written into GIT_URL never reach the cache's
// .git/config, and a submodule is reported as not read rather than skipped in silence.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { GitSource } from '../../../src/source/git-source.js';
import { startGitServer, type TestGitServer } from '../../support/git-server.js';
import { makeTempDir } from '../../support/tmp.js';

const PASSWORD = 'url-pa55word-never-stored';

/** Every file of a folder, as text. */
function allText(dir: string): string {
  let text = '';
  for (const name of readdirSync(dir)) {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) text += allText(full);
    else if (!/objects/.test(full)) text += readFileSync(full, 'utf8');
  }
  return text;
}

describe('git source hygiene', function () {
  this.timeout(60_000);
  let server: TestGitServer | undefined;
  afterEach(async () => {
    await server?.stop();
    server = undefined;
  });

  it('keeps a password written in GIT_URL out of the cache: it goes through onAuth only', async () => {
    server = await startGitServer({ auth: { username: 'robot', password: PASSWORD } });
    const url = await server.createRepo('config', { 'a.yaml': 'kind: A\n' });
    const withCredentials = url.replace('http://', `http://robot:${encodeURIComponent(PASSWORD)}@`);
    const cacheDir = makeTempDir('git-cache');
    const src = new GitSource({ url: withCredentials, cacheDir });
    const snapshot = await src.snapshotAt(await src.resolveRemoteCommit());
    assert.deepEqual(
      snapshot.files.map((f) => f.path),
      ['a.yaml'],
    );
    const config = readFileSync(join(cacheDir, 'config'), 'utf8');
    assert.match(config, /url = http:\/\/127\.0\.0\.1:\d+\/config/);
    assert.doesNotMatch(config, /robot|pa55/);
    assert.doesNotMatch(allText(cacheDir), new RegExp(PASSWORD));
  });

  it('reports a submodule as not read', async () => {
    server = await startGitServer();
    const url = await server.createRepo('config', { 'a.yaml': 'kind: A\n' });
    const work = makeTempDir('submodule-work');
    const git = (...args: string[]) =>
      execFileSync('git', ['-C', work, ...args], {
        env: {
          ...process.env,
          GIT_AUTHOR_NAME: 't',
          GIT_AUTHOR_EMAIL: 't@e',
          GIT_COMMITTER_NAME: 't',
          GIT_COMMITTER_EMAIL: 't@e',
        },
      });
    execFileSync('git', ['clone', '--quiet', server.repoDir('config'), work]);
    git('update-index', '--add', '--cacheinfo', `160000,${'1'.repeat(40)},vendor/manifests`);
    git('commit', '--quiet', '-m', 'add a submodule');
    git('push', '--quiet', 'origin', 'HEAD:main');
    const src = new GitSource({ url, cacheDir: makeTempDir('git-cache') });
    const snapshot = await src.snapshotAt(await src.resolveRemoteCommit());
    assert.deepEqual(snapshot.ignored, [
      {
        file: 'vendor/manifests',
        reason:
          'git submodule: its files are not read (submodules are not fetched); put manifests in the repository itself',
      },
    ]);
  });
});
