import fs from 'node:fs';
import { posix } from 'node:path';
import git from 'isomorphic-git';
import http from 'isomorphic-git/http/node';
import type { CommitInfo } from '../core/commit.js';
import { ImageGitopsError, type Problem } from '../core/errors.js';
import type { IgnoredFile, ManifestSource, SourceFile, SourceSnapshot } from './types.js';

export type { SourceSnapshot } from './types.js';

import { type GitCredentials, redactUrl, toGitAuth } from './git-auth.js';
import { classifyGitError, GitTimeoutError } from './git-errors.js';
import { PackReader } from './pack-reader.js';
import { snapshotFs } from './snapshot-fs.js';

type SnapshotFs = ReturnType<typeof snapshotFs>;

export interface GitSourceOptions {
  url: string;
  /** Branch to follow (default main), or a tag; `commit` pins one commit of that branch. */
  branch?: string;
  tag?: string;
  commit?: string;
  /** Sub-folder of the repo holding the manifests ('' for the root). */
  path?: string;
  /** Persistent folder for the bare repository, reused across syncs and restarts. */
  cacheDir: string;
  credentials?: GitCredentials;
  /** Files above this size are refused with a problem, not read. */
  maxFileBytes?: number;
  /** Total bytes read at one commit. */
  maxTotalBytes?: number;
  timeoutMs?: number;
}

export const SUBMODULE_REASON =
  'git submodule: its files are not read (submodules are not fetched); put manifests in the repository itself';

const SYMLINK_MODE = '120000';

/** The Git edge: asks the remote for its refs, fetches shallowly only when the commit changed, reads files. */
export class GitSource implements ManifestSource {
  private readonly options: GitSourceOptions;
  private readonly gitdir: string;
  /**
   * isomorphic-git's cache of pack indexes: it also keeps each whole pack and every object it inflated, so
   * it lives for one snapshot (fetch and read), not for the process, which would hold every pack ever fetched.
   */
  private cache = {};
  /**
   * The blobs of the last snapshot read, by object id: a blob's content is that of its id, so a commit that
   * changes one file of 10,000 inflates and decodes one blob, not all of them. Only the last snapshot's are
   * kept (the reconciler holds those bytes anyway).
   */
  private blobs = new Map<string, Blob>();

  constructor(options: GitSourceOptions) {
    // Credentials written into GIT_URL go through onAuth like the others, never into the cache's .git/config.
    const { url, credentials } = splitUrlCredentials(options.url);
    this.options = { ...options, url, credentials: options.credentials ?? credentials };
    this.gitdir = options.cacheDir;
  }

  private get refName(): string {
    return this.options.tag ? `refs/tags/${this.options.tag}` : `refs/heads/${this.options.branch ?? 'main'}`;
  }

  private onAuth = () => (this.options.credentials ? toGitAuth(this.options.credentials) : undefined);

  /** The commit the source points at now, asking the remote (no pack is fetched). */
  async resolveRemoteCommit(): Promise<string> {
    if (this.options.commit && (await this.hasCommit(this.options.commit))) return this.options.commit;
    const refs = await this.withErrors('list refs', () =>
      git.listServerRefs({
        http,
        url: this.options.url,
        prefix: this.refName,
        peelTags: true,
        protocolVersion: 1,
        onAuth: this.onAuth,
      }),
    );
    const ref = refs.find((r) => r.ref === this.refName);
    if (!ref) {
      throw new ImageGitopsError(
        'GIT_REF_NOT_FOUND',
        `${this.refName} not found in ${redactUrl(this.options.url)}`,
      );
    }
    return this.options.commit ?? ref.peeled ?? ref.oid;
  }

  /** Fetches the commit if it is not here yet (shallow, single branch) and reads the files at it. */
  async snapshotAt(sha: string): Promise<SourceSnapshot> {
    await fs.promises.mkdir(this.gitdir, { recursive: true });
    if (!fs.existsSync(posix.join(this.gitdir, 'HEAD')))
      await git.init({ fs, gitdir: this.gitdir, bare: true });
    // The remote is (re)written every time: a changed GIT_URL must not fetch from the old one.
    await git.addRemote({ fs, gitdir: this.gitdir, remote: 'origin', url: this.options.url, force: true });
    let fetched = false;
    if (!(await this.hasCommit(sha))) {
      await this.fetch();
      fetched = true;
      if (!(await this.hasCommit(sha))) {
        throw new ImageGitopsError(
          'GIT_REF_NOT_FOUND',
          `commit ${sha} is not on ${this.refName} of ${redactUrl(this.options.url)}`,
        );
      }
    }
    // Nothing writes to the cache from here on: read it through a view that remembers what does not change.
    const reading = snapshotFs(this.gitdir);
    try {
      const commit = await this.commitInfo(sha, reading);
      const { files, problems, ignored } = await this.readFiles(sha, reading);
      return { commit, fetched, files, problems, ...(ignored.length > 0 ? { ignored } : {}) };
    } finally {
      this.cache = {};
    }
  }

  private async fetch(): Promise<void> {
    // A pinned commit may be older than the tip: fetch the branch's history, not just its tip.
    const depth = this.options.commit ? undefined : 1;
    const fetchWith = (bound: { depth?: number; since?: Date }) =>
      this.withErrors('fetch', () =>
        git.fetch({
          fs,
          http,
          gitdir: this.gitdir,
          remote: 'origin',
          ref: this.options.tag ?? this.options.branch ?? 'main',
          singleBranch: true,
          tags: false,
          ...bound,
          onAuth: this.onAuth,
          cache: this.cache,
        }),
      );
    // Over git's protocol v1 (isomorphic-git's), a shallow fetch with a depth ignores the commits the cache
    // has and sends the whole tree again; one bounded by the last fetched commit's date sends only what is
    // new (840 kB -> 12 kB for a one-file change at 10,000 files). When the remote went back in time (a
    // force-push to an older commit, a skewed clock) the server finds nothing that recent: fetch by depth.
    const since = depth === undefined ? undefined : await this.lastFetchedDate();
    let fetched = await fetchWith(since ? { since } : depth ? { depth } : {});
    // Nothing that recent on the remote: the answer is empty, and the tip still missing.
    if (since && fetched.fetchHead && !(await this.hasCommit(fetched.fetchHead)))
      fetched = await fetchWith({ depth: 1 });
    // isomorphic-git tells the remote what the cache has from the local branch of that name, which a bare
    // cache filled by fetch alone never has: name the commit fetched.
    if (!this.options.tag && fetched.fetchHead) {
      await git.writeRef({
        fs,
        gitdir: this.gitdir,
        ref: this.localBranch,
        value: fetched.fetchHead,
        force: true,
      });
    }
  }

  private get localBranch(): string {
    return `refs/heads/${this.options.branch ?? 'main'}`;
  }

  /** The committer date of the commit the last fetch of this branch brought, when the cache has it. */
  private async lastFetchedDate(): Promise<Date | undefined> {
    if (this.options.tag) return undefined;
    try {
      const oid = await git.resolveRef({ fs, gitdir: this.gitdir, ref: this.localBranch });
      const { commit } = await git.readCommit({ fs, gitdir: this.gitdir, oid, cache: this.cache });
      return new Date(commit.committer.timestamp * 1000);
    } catch {
      return undefined;
    }
  }

  private async hasCommit(sha: string): Promise<boolean> {
    try {
      await git.readCommit({ fs, gitdir: this.gitdir, oid: sha, cache: this.cache });
      return true;
    } catch {
      return false;
    }
  }

  private async commitInfo(sha: string, fs: SnapshotFs): Promise<CommitInfo> {
    const { commit } = await git.readCommit({ fs, gitdir: this.gitdir, oid: sha, cache: this.cache });
    return {
      sha,
      author: commit.author.name,
      authorEmail: commit.author.email,
      date: new Date(commit.author.timestamp * 1000).toISOString(),
      message: commit.message.trim(),
    };
  }

  /** Every file under the path at that commit, with symlinks resolved inside the path and sizes bounded. */
  private async readFiles(
    sha: string,
    fs: SnapshotFs,
  ): Promise<{ files: SourceFile[]; problems: Problem[]; ignored: IgnoredFile[] }> {
    const root = (this.options.path ?? '').replace(/^\/+|\/+$/g, '');
    const maxFile = this.options.maxFileBytes ?? 1024 * 1024;
    const maxTotal = this.options.maxTotalBytes ?? 64 * 1024 * 1024;
    const entries = new Map<string, { oid: string; mode: string }>();
    const submodules: string[] = [];
    const walk = async (dir: string): Promise<void> => {
      const { tree } = await git.readTree({
        fs,
        gitdir: this.gitdir,
        oid: sha,
        filepath: dir || undefined,
        cache: this.cache,
      });
      for (const entry of tree) {
        const full = dir ? `${dir}/${entry.path}` : entry.path;
        if (entry.type === 'tree') await walk(full);
        else if (entry.type === 'blob') entries.set(full, { oid: entry.oid, mode: entry.mode });
        else if (entry.type === 'commit') submodules.push(full);
      }
    };
    try {
      await walk(root);
    } catch (error) {
      throw new ImageGitopsError(
        'GIT_REF_NOT_FOUND',
        `path "${root}" not found at commit ${sha.slice(0, 12)}`,
        undefined,
        { cause: error },
      );
    }
    // Opened only when a blob is not among the last snapshot's.
    let packs: Promise<PackReader> | undefined;
    const readBlob = async (oid: string): Promise<Uint8Array> => {
      packs ??= PackReader.open(this.gitdir);
      return (
        packedBlob(await packs, oid) ??
        (await git.readBlob({ fs, gitdir: this.gitdir, oid, cache: this.cache })).blob
      );
    };
    const blobs = new Map<string, Blob>();
    const blobOf = async (oid: string): Promise<Blob> => {
      const blob = blobs.get(oid) ?? this.blobs.get(oid) ?? { bytes: await readBlob(oid) };
      blobs.set(oid, blob);
      return blob;
    };
    const files: SourceFile[] = [];
    const problems: Problem[] = [];
    let total = 0;
    const relative = (full: string) => (root ? full.slice(root.length + 1) : full);
    const ignored: IgnoredFile[] = submodules
      .sort()
      .map((full) => ({ file: relative(full), reason: SUBMODULE_REASON }));
    for (const [full, entry] of entries) {
      let target = full;
      let oid = entry.oid;
      if (entry.mode === SYMLINK_MODE) {
        const link = textOf(await blobOf(oid));
        target = posix.normalize(posix.join(posix.dirname(full), link));
        // An absolute link names the host's file system, never the repo: refused under any path.
        const inside =
          !posix.isAbsolute(link) && (root === '' ? !target.startsWith('..') : target.startsWith(`${root}/`));
        const resolved = entries.get(target);
        if (!inside || !resolved || resolved.mode === SYMLINK_MODE) {
          problems.push({
            code: 'SYMLINK_OUTSIDE',
            message: `symlink to "${link}" leaves the manifests folder or points at nothing readable; it is ignored`,
            location: { file: relative(full) },
          });
          continue;
        }
        oid = resolved.oid;
      }
      const blob = await blobOf(oid);
      const size = blob.bytes.byteLength;
      if (size > maxFile) {
        problems.push({
          code: 'FILE_TOO_LARGE',
          message: `file is ${size} bytes, over the ${maxFile}-byte bound; it is ignored`,
          location: { file: relative(full) },
        });
        continue;
      }
      total += size;
      if (total > maxTotal) {
        throw new ImageGitopsError(
          'FILE_TOO_LARGE',
          `the manifests folder holds over ${maxTotal} bytes; raise the bound or narrow the path`,
        );
      }
      files.push({ path: relative(full), content: textOf(blob), bytes: blob.bytes });
    }
    this.blobs = blobs;
    return { files, problems, ignored };
  }

  private async withErrors<T>(what: string, fn: () => Promise<T>): Promise<T> {
    const timeoutMs = this.options.timeoutMs ?? 60_000;
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        fn(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new GitTimeoutError(timeoutMs)), timeoutMs);
        }),
      ]);
    } catch (error) {
      if (error instanceof ImageGitopsError) throw error;
      const message = error instanceof Error ? error.message : String(error);
      const { code, ...classified } = classifyGitError(error);
      throw new ImageGitopsError(
        code,
        `git ${what} of ${redactUrl(this.options.url)} failed: ${message}`,
        undefined,
        { cause: error, classified },
      );
    } finally {
      clearTimeout(timer);
    }
  }
}

/** A blob's bytes, and their UTF-8 reading once made. */
interface Blob {
  bytes: Uint8Array;
  text?: string;
}

function textOf(blob: Blob): string {
  blob.text ??= Buffer.from(blob.bytes).toString('utf8');
  return blob.text;
}

/**
 * A blob read from the packs with node:zlib (pack-reader.ts), as isomorphic-git's readBlob gives it (a
 * Uint8Array of its own); undefined for anything that reader leaves to isomorphic-git, errors included.
 */
function packedBlob(packs: PackReader, oid: string): Uint8Array | undefined {
  try {
    const found = packs.read(oid);
    return found?.type === 'blob' ? new Uint8Array(found.object) : undefined;
  } catch {
    return undefined;
  }
}

/** `https://user:pass@host/repo` → the URL without them, and the credentials (percent-decoded). */
export function splitUrlCredentials(url: string): { url: string; credentials?: GitCredentials } {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { url };
  }
  if (!parsed.username && !parsed.password) return { url };
  const credentials: GitCredentials = {
    username: decodeURIComponent(parsed.username),
    password: decodeURIComponent(parsed.password),
    scheme: 'basic',
  };
  parsed.username = '';
  parsed.password = '';
  return { url: parsed.toString(), credentials };
}
