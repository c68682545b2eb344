// A real git smart-HTTP server for tests: a Node HTTP server on loopback that runs `git http-backend` as a
// CGI per request, over bare repos in a temp folder. It records requests and can fail, delay or demand auth.
import { mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { serveWithBackend } from './git-cgi.js';
import { runCommand } from './processes.js';
import { makeTempDir, removeTempDir } from './tmp.js';

export interface GitRequest {
  method: string;
  /** e.g. `/config.git/git-upload-pack` */
  path: string;
  /** e.g. `service=git-upload-pack`, '' when none */
  query: string;
  status: number;
}

export type GitServerAuth = { username: string; password: string } | { token: string };

export interface GitAuthor {
  name: string;
  email: string;
}

export interface TestGitServer {
  /** `http://127.0.0.1:<port>` */
  baseUrl: string;
  requests: GitRequest[];
  /** Creates a bare repo `<name>.git` with a first commit of `files` on `main`; returns its clone URL. */
  createRepo(name: string, files: Record<string, string>): Promise<string>;
  /** Adds/changes (string) or deletes (null) files on `main`; returns the new commit sha. */
  commitFiles(
    name: string,
    files: Record<string, string | null>,
    message?: string,
    author?: GitAuthor,
  ): Promise<string>;
  commitSymlink(name: string, path: string, target: string, message?: string): Promise<string>;
  repoUrl(name: string): string;
  /** Folder of the bare repo. */
  repoDir(name: string): string;
  /** Answers the next `count` requests with `status` instead of serving them. */
  failNext(count: number, status: number): void;
  /** Delays every following request by `ms` before it is served. */
  setDelay(ms: number): void;
  stop(): Promise<void>;
}

export interface StartGitServerOptions {
  /** Requires HTTP basic auth (username/password) or a bearer token; answers 401 otherwise. */
  auth?: GitServerAuth;
  /** Address to listen on (default 127.0.0.1); a reconciler in a pod reaches only the node's addresses. */
  address?: string;
}

const DEFAULT_AUTHOR: GitAuthor = { name: 'Test Author', email: 'test@example.com' };

function gitEnv(author: GitAuthor): NodeJS.ProcessEnv {
  return {
    ...process.env,
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_AUTHOR_NAME: author.name,
    GIT_AUTHOR_EMAIL: author.email,
    GIT_COMMITTER_NAME: author.name,
    GIT_COMMITTER_EMAIL: author.email,
  };
}

function isAuthorized(header: string | undefined, auth: GitServerAuth): boolean {
  if ('token' in auth) return header === `Bearer ${auth.token}`;
  const expected = Buffer.from(`${auth.username}:${auth.password}`).toString('base64');
  return header === `Basic ${expected}`;
}

export async function startGitServer(opts: StartGitServerOptions = {}): Promise<TestGitServer> {
  const root = makeTempDir('git-server');
  const projectRoot = join(root, 'repos');
  const workRoot = join(root, 'work');
  mkdirSync(projectRoot);
  mkdirSync(workRoot);
  const requests: GitRequest[] = [];
  let failures: { count: number; status: number } = { count: 0, status: 500 };
  let delayMs = 0;

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const entry: GitRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: url.search.slice(1),
      status: 0,
    };
    requests.push(entry);
    res.once('finish', () => {
      entry.status = res.statusCode;
    });
    const serve = (): void => {
      if (failures.count > 0) {
        failures = { ...failures, count: failures.count - 1 };
        req.resume();
        res.writeHead(failures.status, { 'Content-Type': 'text/plain' }).end('injected failure\n');
        return;
      }
      if (opts.auth && !isAuthorized(req.headers.authorization, opts.auth)) {
        req.resume();
        const challenge = 'token' in opts.auth ? 'Bearer realm="test-git"' : 'Basic realm="test-git"';
        res
          .writeHead(401, { 'WWW-Authenticate': challenge, 'Content-Type': 'text/plain' })
          .end('unauthorized\n');
        return;
      }
      const user = opts.auth && 'username' in opts.auth ? opts.auth.username : 'test';
      serveWithBackend(projectRoot, req, res, url, user);
    };
    if (delayMs > 0) setTimeout(serve, delayMs);
    else serve();
  });
  const address = opts.address ?? '127.0.0.1';
  await new Promise<void>((resolve) => server.listen(0, address, resolve));
  const { port } = server.address() as AddressInfo;
  const baseUrl = `http://${address}:${port}`;

  const bareName = (name: string): string => (name.endsWith('.git') ? name : `${name}.git`);
  const repoDir = (name: string): string => join(projectRoot, bareName(name));
  const workDir = (name: string): string => join(workRoot, bareName(name));
  const git = (cwd: string, args: string[], author = DEFAULT_AUTHOR) =>
    runCommand('git', args, { cwd, env: gitEnv(author) });

  /** Commits whatever the work tree holds and pushes it to the bare repo; returns the sha. */
  const commitAndPush = async (name: string, message: string, author: GitAuthor): Promise<string> => {
    const dir = workDir(name);
    await git(dir, ['add', '--all']);
    await git(
      dir,
      ['-c', 'commit.gpgsign=false', 'commit', '--allow-empty', '--quiet', '-m', message],
      author,
    );
    await git(dir, ['push', '--quiet', 'origin', 'HEAD:refs/heads/main']);
    return (await git(dir, ['rev-parse', 'HEAD'])).stdout.trim();
  };

  /** Brings the work tree to the bare repo's main, in case the code under test pushed to it. */
  const syncWorkTree = async (name: string): Promise<void> => {
    const dir = workDir(name);
    await git(dir, ['fetch', '--quiet', 'origin', 'main']);
    await git(dir, ['reset', '--quiet', '--hard', 'FETCH_HEAD']);
  };

  const writeFiles = (name: string, files: Record<string, string | null>): void => {
    for (const [path, content] of Object.entries(files)) {
      const target = join(workDir(name), path);
      if (content === null) {
        rmSync(target, { force: true });
      } else {
        mkdirSync(dirname(target), { recursive: true });
        writeFileSync(target, content);
      }
    }
  };

  return {
    baseUrl,
    requests,
    repoDir,
    repoUrl: (name) => `${baseUrl}/${bareName(name)}`,
    createRepo: async (name, files) => {
      await git(projectRoot, ['init', '--quiet', '--bare', '--initial-branch=main', repoDir(name)]);
      await git(workRoot, ['init', '--quiet', '--initial-branch=main', workDir(name)]);
      await git(workDir(name), ['remote', 'add', 'origin', repoDir(name)]);
      writeFiles(name, files);
      await commitAndPush(name, 'initial commit', DEFAULT_AUTHOR);
      return `${baseUrl}/${bareName(name)}`;
    },
    commitFiles: async (name, files, message = 'update files', author = DEFAULT_AUTHOR) => {
      await syncWorkTree(name);
      writeFiles(name, files);
      return commitAndPush(name, message, author);
    },
    commitSymlink: async (name, path, target, message = `link ${path}`) => {
      await syncWorkTree(name);
      const linkPath = join(workDir(name), path);
      mkdirSync(dirname(linkPath), { recursive: true });
      rmSync(linkPath, { force: true });
      symlinkSync(target, linkPath);
      return commitAndPush(name, message, DEFAULT_AUTHOR);
    },
    failNext: (count, status) => {
      failures = { count, status };
    },
    setDelay: (ms) => {
      delayMs = ms;
    },
    stop: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      removeTempDir(root);
    },
  };
}
