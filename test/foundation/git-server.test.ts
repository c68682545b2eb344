import assert from 'node:assert/strict';
import fs from 'node:fs';
import { join } from 'node:path';
import FakeTimers from '@sinonjs/fake-timers';
import git from 'isomorphic-git';
import http from 'isomorphic-git/http/node';
import { startGitServer, type TestGitServer } from '../support/git-server.js';
import { liveTrackedPids } from '../support/processes.js';
import { makeTempDir, removeTempDir } from '../support/tmp.js';

describe('git smart-HTTP test server', function () {
  this.timeout(30_000);
  let server: TestGitServer | undefined;
  let dir: string;

  beforeEach(() => {
    dir = makeTempDir('git-clone');
  });
  afterEach(async () => {
    await server?.stop();
    server = undefined;
    removeTempDir(dir);
  });
  let alreadyRunning: number[] = [];

  before(() => {
    // Other suites (a shared control plane) may keep children alive; this file answers for its own.
    alreadyRunning = liveTrackedPids();
  });
  after(() => {
    assert.deepEqual(
      liveTrackedPids().filter((pid) => !alreadyRunning.includes(pid)),
      [],
    );
  });

  it('serves a shallow clone, then a fetch of a later commit with its new file', async () => {
    server = await startGitServer();
    const url = await server.createRepo('config', { 'app/sync.yaml': 'kind: ImageSync\n' });

    await git.clone({ fs, http, dir, url, depth: 1, singleBranch: true, ref: 'main' });
    assert.equal(fs.readFileSync(join(dir, 'app/sync.yaml'), 'utf8'), 'kind: ImageSync\n');
    const firstSha = await git.resolveRef({ fs, dir, ref: 'HEAD' });

    const secondSha = await server.commitFiles(
      'config',
      { 'app/build.yaml': 'kind: ImageBuild\n' },
      'add build',
    );
    assert.notEqual(secondSha, firstSha);

    const fetched = await git.fetch({ fs, http, dir, url, depth: 1, singleBranch: true, ref: 'main' });
    assert.equal(fetched.fetchHead, secondSha);
    const { blob } = await git.readBlob({ fs, dir, oid: secondSha, filepath: 'app/build.yaml' });
    assert.equal(Buffer.from(blob).toString('utf8'), 'kind: ImageBuild\n');

    const uploadPackPosts = server.requests.filter(
      (r) => r.method === 'POST' && r.path === '/config.git/git-upload-pack',
    );
    assert.equal(uploadPackPosts.length, 2, JSON.stringify(server.requests));
    assert.ok(uploadPackPosts.every((r) => r.status === 200));
  });

  it('deletes files and records symlinks in later commits', async () => {
    server = await startGitServer();
    const url = await server.createRepo('links', { 'a.yaml': 'a\n', 'b.yaml': 'b\n' });
    await server.commitFiles('links', { 'b.yaml': null });
    const sha = await server.commitSymlink('links', 'c.yaml', 'a.yaml');

    await git.clone({ fs, http, dir, url, depth: 1, singleBranch: true });
    assert.equal(await git.resolveRef({ fs, dir, ref: 'HEAD' }), sha);
    assert.equal(fs.existsSync(join(dir, 'b.yaml')), false);
    assert.equal(fs.readlinkSync(join(dir, 'c.yaml')), 'a.yaml');
  });

  it('answers injected failures with their status, then serves again', async () => {
    server = await startGitServer();
    const url = await server.createRepo('flaky', { 'x.yaml': 'x\n' });
    server.failNext(1, 503);
    await assert.rejects(git.getRemoteInfo({ http, url }), /503/);
    const info = await git.getRemoteInfo({ http, url });
    assert.ok(info.refs?.heads?.main);
    assert.deepEqual(
      server.requests.map((r) => r.status),
      [503, 200],
    );
  });

  it('demands basic auth: 401 with a challenge without credentials, a clone with them', async () => {
    server = await startGitServer({ auth: { username: 'bot', password: 's3cret' } });
    const url = await server.createRepo('private', { 'p.yaml': 'p\n' });
    await assert.rejects(git.clone({ fs, http, dir, url, depth: 1 }), /401/);
    await git.clone({
      fs,
      http,
      dir,
      url,
      depth: 1,
      onAuth: () => ({ username: 'bot', password: 's3cret' }),
    });
    assert.equal(fs.readFileSync(join(dir, 'p.yaml'), 'utf8'), 'p\n');
    assert.equal(server.requests[0]?.status, 401);
  });

  it('accepts a push from isomorphic-git, and later commits build on it', async () => {
    server = await startGitServer();
    const url = await server.createRepo('pushed', { 'one.yaml': '1\n' });
    await git.clone({ fs, http, dir, url, singleBranch: true });
    fs.writeFileSync(join(dir, 'two.yaml'), '2\n');
    await git.add({ fs, dir, filepath: 'two.yaml' });
    const author = { name: 'Pusher', email: 'pusher@example.com' };
    const pushedSha = await git.commit({ fs, dir, message: 'two', author });
    const result = await git.push({ fs, http, dir, url, ref: 'main' });
    assert.equal(result.ok, true);

    const nextSha = await server.commitFiles('pushed', { 'three.yaml': '3\n' });
    await git.fetch({ fs, http, dir, url, singleBranch: true, ref: 'main' });
    const log = await git.log({ fs, dir, ref: nextSha });
    assert.equal(log[1]?.oid, pushedSha);
    assert.ok(server.requests.some((r) => r.method === 'POST' && r.path === '/pushed.git/git-receive-pack'));
  });

  it('demands a bearer token when configured, and delays answers by the set time', async () => {
    server = await startGitServer({ auth: { token: 'tok-123' } });
    await server.createRepo('tokened', { 't.yaml': 't\n' });
    const refsUrl = `${server.repoUrl('tokened')}/info/refs?service=git-upload-pack`;
    const refused = await fetch(refsUrl);
    assert.equal(refused.status, 401);
    assert.equal(refused.headers.get('www-authenticate'), 'Bearer realm="test-git"');

    server.setDelay(300);
    // On a fake clock (timers and Date; sockets stay real): no answer before the delay is over, one after.
    // The unauthenticated request is answered at once when served (401, no git process), so its status on
    // the server tells exactly whether it was served yet.
    const clock = FakeTimers.install({
      toFake: ['setTimeout', 'clearTimeout', 'Date'],
      shouldClearNativeTimers: true,
    });
    try {
      const received = server.requests.length;
      const refusing = fetch(refsUrl);
      const turn = () => new Promise((resolve) => setImmediate(resolve));
      for (let i = 0; i < 100_000 && server.requests.length === received; i++) await turn();
      const entry = server.requests[received];
      assert.ok(entry, 'the request reached the server');
      await clock.tickAsync(299);
      for (let i = 0; i < 50; i++) await turn();
      assert.equal(entry.status, 0, 'not answered within the delay');
      await clock.tickAsync(1);
      assert.equal((await refusing).status, 401, 'answered once the delay is over');
      const before = server.requests.length;
      const served = fetch(refsUrl, { headers: { Authorization: 'Bearer tok-123' } });
      for (let i = 0; i < 100_000 && server.requests.length === before; i++) await turn();
      await clock.tickAsync(300);
      const ok = await served;
      assert.equal(ok.status, 200);
      assert.match(await ok.text(), /refs\/heads\/main/);
    } finally {
      clock.uninstall();
    }
  });
});
