import assert from 'node:assert/strict';
import { Errors } from 'isomorphic-git';
import { ImageGitopsError } from '../../../src/core/errors.js';
import { GitSource, type GitSourceOptions } from '../../../src/source/git-source.js';
import { type GitServerAuth, startGitServer, type TestGitServer } from '../../support/git-server.js';
import { runCommand } from '../../support/processes.js';
import { makeTempDir } from '../../support/tmp.js';

const SECRET_PASSWORD = 'pa55-w0rd-do-not-log';
const SECRET_TOKEN = 'tok-3f9c1b7e-never-print';

describe('git source', function () {
  this.timeout(60_000);
  let server: TestGitServer | undefined;

  afterEach(async () => {
    await server?.stop();
    server = undefined;
  });

  async function start(auth?: GitServerAuth): Promise<TestGitServer> {
    server = await startGitServer(auth ? { auth } : {});
    return server;
  }

  function source(url: string, options: Partial<GitSourceOptions> = {}): GitSource {
    return new GitSource({ url, cacheDir: makeTempDir('git-cache'), ...options });
  }

  /** What the engine does each sync: ask for the commit, then read the files at it. */
  async function sync(src: GitSource) {
    return src.snapshotAt(await src.resolveRemoteCommit());
  }

  async function rejection(promise: Promise<unknown>): Promise<ImageGitopsError> {
    try {
      await promise;
    } catch (error) {
      assert.ok(error instanceof ImageGitopsError, String(error));
      return error;
    }
    assert.fail('expected a rejection');
  }

  it('fetches shallowly, then asks only for the refs while the commit is unchanged', async () => {
    const git = await start();
    const url = await git.createRepo('config', { 'a.yaml': 'kind: A\n' });
    const second = await git.commitFiles('config', { 'b.yaml': 'kind: B\n' }, 'add b', {
      name: 'Bea',
      email: 'bea@example.com',
    });
    const cacheDir = makeTempDir('git-cache');
    const src = source(url, { cacheDir });

    const first = await sync(src);
    assert.equal(first.fetched, true);
    assert.equal(first.commit.sha, second);
    assert.equal(first.commit.author, 'Bea');
    assert.equal(first.commit.message, 'add b');
    assert.deepEqual(first.files.map((f) => [f.path, f.content]).sort(), [
      ['a.yaml', 'kind: A\n'],
      ['b.yaml', 'kind: B\n'],
    ]);
    const shallow = await runCommand('git', ['-C', cacheDir, 'rev-list', '--count', second]);
    assert.equal(shallow.stdout.trim(), '1', 'only the tip commit was fetched');

    const mark = git.requests.length;
    const again = await sync(src);
    assert.equal(again.fetched, false);
    assert.equal(again.commit.sha, second);
    const requests = git.requests.slice(mark);
    assert.ok(requests.length > 0);
    assert.deepEqual(
      requests.map((r) => `${r.method} ${r.path.replace(/^\/config\.git/, '')}`),
      requests.map(() => 'GET /info/refs'),
    );

    const third = await git.commitFiles('config', { 'a.yaml': null }, 'remove a');
    const next = await sync(src);
    assert.equal(next.fetched, true);
    assert.equal(next.commit.sha, third);
    assert.deepEqual(
      next.files.map((f) => f.path),
      ['b.yaml'],
    );
  });

  it('fetches only what a new commit changed, and reads the same files as a fresh cache', async () => {
    const git = await start();
    const many = Object.fromEntries(
      Array.from({ length: 40 }, (_, i) => [`d/f${i}.yaml`, `kind: F\nindex: ${i}\n`]),
    );
    const url = await git.createRepo('config', many);
    const cacheDir = makeTempDir('git-cache');
    const src = source(url, { cacheDir });
    await sync(src);
    const packs = () => runCommand('git', ['-C', cacheDir, 'count-objects', '-v']);
    const objectsBefore = Number(/in-pack: (\d+)/.exec((await packs()).stdout)?.[1]);

    const sha = await git.commitFiles('config', { 'd/f7.yaml': 'kind: F\nindex: seven\n' }, 'change f7');
    const next = await sync(src);
    assert.equal(next.commit.sha, sha);
    const fetchedNow = Number(/in-pack: (\d+)/.exec((await packs()).stdout)?.[1]) - objectsBefore;
    // The commit, the root tree, the tree of d/ and the changed file: not the 40 files again.
    assert.equal(fetchedNow, 4);
    const fresh = await source(url).snapshotAt(sha);
    assert.deepEqual(next.files, fresh.files);
    assert.equal(next.files.find((f) => f.path === 'd/f7.yaml')?.content, 'kind: F\nindex: seven\n');
  });

  it('reads the branch again after a force-push to a commit older than any it fetched', async () => {
    const git = await start();
    const url = await git.createRepo('config', { 'a.yaml': 'kind: A\n' });
    const bare = git.repoDir('config');
    const tree = (await runCommand('git', ['-C', bare, 'rev-parse', 'main^{tree}'])).stdout.trim();
    await git.commitFiles('config', { 'a.yaml': 'kind: A2\n' }, 'newer');
    const src = source(url);
    assert.equal((await sync(src)).files[0]?.content, 'kind: A2\n');

    // The remote's tip is now a commit dated years before the one the cache has: a fetch bounded by that
    // date finds nothing, and the source fetches by depth instead.
    const dated = {
      ...process.env,
      GIT_COMMITTER_DATE: '2001-01-01T00:00:00Z',
      GIT_AUTHOR_DATE: '2001-01-01T00:00:00Z',
    };
    const env = {
      ...dated,
      GIT_AUTHOR_NAME: 'Old',
      GIT_AUTHOR_EMAIL: 'old@example.com',
      GIT_COMMITTER_NAME: 'Old',
      GIT_COMMITTER_EMAIL: 'old@example.com',
    };
    const older = (
      await runCommand('git', ['-C', bare, 'commit-tree', tree, '-m', 'older'], { env })
    ).stdout.trim();
    await runCommand('git', ['-C', bare, 'update-ref', 'refs/heads/main', older]);
    const back = await sync(src);
    assert.equal(back.commit.sha, older);
    assert.equal(back.files[0]?.content, 'kind: A\n');
  });

  it('reads only the files under the path, relative to it', async () => {
    const git = await start();
    const url = await git.createRepo('mono', {
      'README.md': 'not a manifest',
      'deploy/gitops/a.yaml': 'kind: A\n',
      'deploy/gitops/nested/b.yaml': 'kind: B\n',
      'deploy/other.yaml': 'kind: Other\n',
    });
    const snapshot = await sync(source(url, { path: '/deploy/gitops/' }));
    assert.deepEqual(snapshot.files.map((f) => f.path).sort(), ['a.yaml', 'nested/b.yaml']);
    assert.deepEqual(snapshot.problems, []);
  });

  it('says which path is missing at the commit', async () => {
    const git = await start();
    const url = await git.createRepo('mono', { 'a.yaml': 'kind: A\n' });
    const error = await rejection(sync(source(url, { path: 'nowhere' })));
    assert.equal(error.code, 'GIT_REF_NOT_FOUND');
    assert.match(error.message, /path "nowhere" not found/);
  });

  it('reads a symlink inside the path, and refuses one leaving it', async () => {
    const git = await start();
    const url = await git.createRepo('links', {
      'gitops/real.yaml': 'kind: Real\n',
      'secrets/creds.yaml': 'password: x\n',
    });
    await git.commitSymlink('links', 'gitops/inside.yaml', 'real.yaml');
    await git.commitSymlink('links', 'gitops/outside.yaml', '../secrets/creds.yaml');
    // An absolute link names the host's file system, not the repo, even when the rest would resolve inside.
    await git.commitSymlink('links', 'gitops/absolute.yaml', '/real.yaml');
    const snapshot = await sync(source(url, { path: 'gitops' }));
    assert.deepEqual(snapshot.files.map((f) => [f.path, f.content]).sort(), [
      ['inside.yaml', 'kind: Real\n'],
      ['real.yaml', 'kind: Real\n'],
    ]);
    assert.deepEqual(snapshot.problems.map((p) => [p.code, p.location?.file]).sort(), [
      ['SYMLINK_OUTSIDE', 'absolute.yaml'],
      ['SYMLINK_OUTSIDE', 'outside.yaml'],
    ]);
  });

  it('refuses a file over the size bound and reads the others', async () => {
    const git = await start();
    const url = await git.createRepo('big', {
      'big.yaml': `# ${'x'.repeat(2000)}\n`,
      'small.yaml': 'kind: S\n',
    });
    const snapshot = await sync(source(url, { maxFileBytes: 1000 }));
    assert.deepEqual(
      snapshot.files.map((f) => f.path),
      ['small.yaml'],
    );
    assert.equal(snapshot.problems.length, 1);
    assert.equal(snapshot.problems[0]?.code, 'FILE_TOO_LARGE');
    assert.deepEqual(snapshot.problems[0]?.location, { file: 'big.yaml' });
    assert.match(snapshot.problems[0]!.message, /2003 bytes, over the 1000-byte bound/);
  });

  it('follows a tag (annotated, peeled to its commit)', async () => {
    const git = await start();
    const url = await git.createRepo('tagged', { 'a.yaml': 'version: 1\n' });
    const v1 = await git.commitFiles('tagged', { 'a.yaml': 'version: 2\n' }, 'v2');
    const env = {
      ...process.env,
      GIT_COMMITTER_NAME: 'T',
      GIT_COMMITTER_EMAIL: 't@example.com',
      GIT_CONFIG_GLOBAL: '/dev/null',
    };
    await runCommand('git', ['-C', git.repoDir('tagged'), 'tag', '-a', '-m', 'release', 'v1.0.0', v1], {
      env,
    });
    await git.commitFiles('tagged', { 'a.yaml': 'version: 3\n' }, 'after the tag');

    const snapshot = await sync(source(url, { tag: 'v1.0.0' }));
    assert.equal(snapshot.commit.sha, v1);
    assert.deepEqual(
      snapshot.files.map((f) => f.content),
      ['version: 2\n'],
    );
  });

  it('reads a pinned commit older than the branch tip', async () => {
    const git = await start();
    const url = await git.createRepo('pinned', { 'a.yaml': 'version: 1\n' });
    const pinned = await git.commitFiles('pinned', { 'a.yaml': 'version: 2\n' }, 'v2');
    await git.commitFiles('pinned', { 'a.yaml': 'version: 3\n' }, 'v3');
    const src = source(url, { commit: pinned });
    const snapshot = await sync(src);
    assert.equal(snapshot.commit.sha, pinned);
    assert.deepEqual(
      snapshot.files.map((f) => f.content),
      ['version: 2\n'],
    );

    // Once the pinned commit is here, the remote is not even asked.
    const mark = git.requests.length;
    assert.equal((await sync(src)).fetched, false);
    assert.equal(git.requests.length, mark);
  });

  it('says when the branch does not exist', async () => {
    const git = await start();
    const url = await git.createRepo('config', { 'a.yaml': 'kind: A\n' });
    const error = await rejection(source(url, { branch: 'nope' }).resolveRemoteCommit());
    assert.equal(error.code, 'GIT_REF_NOT_FOUND');
    assert.match(error.message, /refs\/heads\/nope not found/);
  });

  describe('credentials', () => {
    it('authenticates with a username and password (HTTP basic)', async () => {
      const git = await start({ username: 'gitops', password: SECRET_PASSWORD });
      const url = await git.createRepo('private', { 'a.yaml': 'kind: A\n' });
      const snapshot = await sync(
        source(url, { credentials: { username: 'gitops', password: SECRET_PASSWORD } }),
      );
      assert.deepEqual(
        snapshot.files.map((f) => f.path),
        ['a.yaml'],
      );
    });

    it('authenticates with a bearer token', async () => {
      const git = await start({ token: SECRET_TOKEN });
      const url = await git.createRepo('private', { 'a.yaml': 'kind: A\n' });
      const snapshot = await sync(source(url, { credentials: { token: SECRET_TOKEN, scheme: 'bearer' } }));
      assert.deepEqual(
        snapshot.files.map((f) => f.path),
        ['a.yaml'],
      );
    });

    it('fails with GIT_AUTH on a wrong password, without the password in the message', async () => {
      const git = await start({ username: 'gitops', password: 'the-right-one' });
      const url = await git.createRepo('private', { 'a.yaml': 'kind: A\n' });
      const error = await rejection(
        sync(source(url, { credentials: { username: 'gitops', password: SECRET_PASSWORD } })),
      );
      assert.equal(error.code, 'GIT_AUTH');
      assert.match(error.message, /401/);
      assert.ok(!error.message.includes(SECRET_PASSWORD), error.message);
      assert.ok(!JSON.stringify(error.toProblem()).includes(SECRET_PASSWORD));
      // Decided by the status code of isomorphic-git's HttpError, and not worth a retry.
      assert.ok(error.cause instanceof Errors.HttpError, String(error.cause));
      assert.equal(error.cause.data.statusCode, 401);
      assert.deepEqual(
        [error.toProblem().reason, error.toProblem().retryable],
        ['AuthenticationFailed', false],
      );
    });

    it('fails with GIT_AUTH, Forbidden, when the server answers 403', async () => {
      const git = await start({ username: 'gitops', password: 'the-right-one' });
      const url = await git.createRepo('private', { 'a.yaml': 'kind: A\n' });
      git.failNext(1, 403);
      const error = await rejection(
        sync(source(url, { credentials: { username: 'gitops', password: 'the-right-one' } })),
      );
      assert.equal(error.code, 'GIT_AUTH');
      assert.deepEqual([error.toProblem().reason, error.toProblem().retryable], ['Forbidden', false]);
    });

    it('fails with GIT_AUTH on a wrong token, without the token in the message', async () => {
      const git = await start({ token: 'the-right-token' });
      const url = await git.createRepo('private', { 'a.yaml': 'kind: A\n' });
      const error = await rejection(
        sync(source(url, { credentials: { token: SECRET_TOKEN, scheme: 'bearer' } })),
      );
      assert.equal(error.code, 'GIT_AUTH');
      assert.ok(!error.message.includes(SECRET_TOKEN), error.message);
    });

    it('fails with GIT_AUTH when no credentials are configured', async () => {
      const git = await start({ token: 'the-right-token' });
      const url = await git.createRepo('private', { 'a.yaml': 'kind: A\n' });
      assert.equal((await rejection(sync(source(url)))).code, 'GIT_AUTH');
    });

    it('keeps credentials written into the URL out of the message', async () => {
      const git = await start({ username: 'gitops', password: 'the-right-one' });
      const url = await git.createRepo('private', { 'a.yaml': 'kind: A\n' });
      const withCreds = url.replace('http://', `http://gitops:${SECRET_PASSWORD}@`);
      const error = await rejection(sync(source(withCreds)));
      assert.equal(error.code, 'GIT_AUTH');
      assert.ok(!error.message.includes(SECRET_PASSWORD), error.message);
    });
  });

  it('fails with GIT_FETCH when the server answers 500, and recovers on the next try', async () => {
    const git = await start();
    const url = await git.createRepo('flaky', { 'a.yaml': 'kind: A\n' });
    const src = source(url);
    git.failNext(1, 500);
    const error = await rejection(sync(src));
    assert.equal(error.code, 'GIT_FETCH');
    assert.match(error.message, /500/);
    assert.deepEqual([error.toProblem().reason, error.toProblem().retryable], ['ServerError', true]);
    assert.equal((await sync(src)).files.length, 1);
  });

  it('fails with GIT_FETCH, NotFound and not retried, for a repository the server does not have', async () => {
    const git = await start();
    const url = await git.createRepo('there', { 'a.yaml': 'kind: A\n' });
    const error = await rejection(sync(source(url.replace(/there(\.git)?$/, 'elsewhere$1'))));
    assert.equal(error.code, 'GIT_FETCH');
    assert.deepEqual([error.toProblem().reason, error.toProblem().retryable], ['NotFound', false]);
  });

  it('fails with GIT_FETCH, Unreachable and retried, when nothing listens', async () => {
    const git = await start();
    const url = await git.createRepo('gone', { 'a.yaml': 'kind: A\n' });
    await git.stop();
    server = undefined;
    const error = await rejection(sync(source(url)));
    assert.equal(error.code, 'GIT_FETCH');
    assert.deepEqual([error.toProblem().reason, error.toProblem().retryable], ['Unreachable', true]);
  });

  it('fails with GIT_FETCH when the pack request fails after the refs were listed', async () => {
    const git = await start();
    const url = await git.createRepo('flaky', { 'a.yaml': 'kind: A\n' });
    const src = source(url);
    const sha = await src.resolveRemoteCommit();
    git.failNext(5, 500);
    assert.equal((await rejection(src.snapshotAt(sha))).code, 'GIT_FETCH');
  });
});
